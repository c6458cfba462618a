@echo off
rem The workbook's entry point on Windows (cmd or PowerShell: .\workbook lab): runs
rem scripts\workbook.py, which finds a Python 3.11-3.13, keeps .venv installed and runs the
rem command. "workbook help" lists the commands. On Linux and macOS: ./workbook.
setlocal
set "ENTRY=%~dp0scripts\workbook.py"
if defined PYTHON goto chosen
where py >nul 2>nul && goto launcher
where python >nul 2>nul && goto plain
echo The workbook needs Python 3.11, 3.12 or 3.13, and no Python was found. 1>&2
echo Install one with "py install 3.13" or from https://www.python.org/downloads/windows/ 1>&2
echo or use Colab: each notebook's "Open in Colab" link runs it with nothing to install. 1>&2
exit /b 1
:chosen
"%PYTHON%" "%ENTRY%" %*
exit /b %ERRORLEVEL%
:launcher
py -3 "%ENTRY%" %*
exit /b %ERRORLEVEL%
:plain
python "%ENTRY%" %*
exit /b %ERRORLEVEL%
