"""Grading in GitHub Classroom: the autograding workflow of a notebook and its steps.

Usage:
    python -m helpers.grade.classroom workflow NOTEBOOK [--repository URL] [--branch B]
                                              [--out FILE]
    python -m helpers.grade.classroom grade NOTEBOOK [SUBMISSION] --out RESULTS.json
                                              [--timeout SECONDS]
    python -m helpers.grade.classroom check RESULTS.json EXERCISE_ID

(`./workbook classroom 07 --out classroom.yml` runs `workflow`.)

GitHub Classroom's autograding is a GitHub Actions workflow in the student's repository
(https://docs.github.com/en/education/manage-coursework-with-github-classroom/teach-with-github-classroom/use-autograding).
Each test is a step of the action `classroom-resources/autograding-command-grader@v1`
(inputs `test-name`, `setup-command`, `command`, `timeout` in minutes, `max-score`): a
command whose exit code 0 earns the test's `max-score`, anything else nothing. A final
step, `classroom-resources/autograding-grading-reporter@v1`, reads each test's result
from the environment variable `<STEP ID IN CAPITALS>_RESULTS` and takes the step ids in
its input `runners`; it reports the points to Classroom only when the workflow is named
`Autograding Tests` and its one job `run-autograding-tests` (the reporter's README:
https://github.com/classroom-resources/autograding-grading-reporter).

The workflow written here installs the workbook (its repository, `[tool.workbook]` in
pyproject.toml, or `--repository`), grades the student's notebook once (`grade`: the
same grading as `python -m helpers.grade`, with every message in the job log), then has
one command-grader step per exercise whose command (`check`) prints that exercise's
result and exits 0 when it passed, 1 when not, so Classroom shows points per exercise.
The grading step also writes a table of every exercise's points, and the messages, on
the run's summary page (`$GITHUB_STEP_SUMMARY`), which any GitHub repository shows.
Those steps and the reporter run even when grading failed (`!cancelled()`): every
exercise then scores 0 and says where to look, instead of the run reporting nothing.
"""

import json
import os
import sys

from helpers.grade.gradescope import NOT_FOR_GRADING, NOTEBOOK_HELP, caller_path, command_line
from helpers.grade.released import ROOT, find_notebook, read_released

COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
#: The grading step's limit: quick mode takes a minute or two on GitHub's runners, and
#: each cell that hangs adds the time limit per cell.
GRADING_MINUTES = 30
RESULTS = "${{ runner.temp }}/grades.json"

HEADER = """\
# GitHub Classroom autograding for {filename} ({count} exercises, {total:g} points).
# Written by `./workbook classroom {number}`; copy it into the assignment's template
# repository as .github/workflows/classroom.yml (README.md, For instructors). The name of the
# workflow and of its job must stay as they are: the reporter only reports those to Classroom.
# The workbook is installed from {repository} ({branch}).
name: Autograding Tests
'on':
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: '3.12'
      - name: Install the workbook
        run: |
          git clone --quiet --depth 1 --branch {branch} {repository} "$RUNNER_TEMP/workbook"
          grep -v -E '^({skip})==|^-e ' "$RUNNER_TEMP/workbook/requirements.txt" \\
            > "$RUNNER_TEMP/requirements.txt"
          python -m pip install --quiet -r "$RUNNER_TEMP/requirements.txt"
          python -m pip install --quiet --no-deps -e "$RUNNER_TEMP/workbook"
      - name: Grade the notebook
        timeout-minutes: {minutes}
        run: python -m helpers.grade.classroom grade {number} . --out "{results}"
"""

STEP = """\
      - name: {test_name}
        id: {step_id}
        if: ${{{{ !cancelled() }}}}
        uses: {grader}
        with:
          test-name: {test_name}
          command: python -m helpers.grade.classroom check "{results}" {exercise}
          timeout: 1
          max-score: {points:g}
"""


def step_id(exercise_id):
    """The workflow step id of an exercise: `"07.3"` -> `"ex-07-3"`."""
    return "ex-" + exercise_id.replace(".", "-")


def workflow(notebook, repository=None, branch=None, root=ROOT):
    """The autograding workflow (YAML text) of one notebook.

    Args:
        notebook: the released notebook: a path, or a number like `"07"`.
        repository, branch: where the workflow clones the workbook from; by default
            `[tool.workbook]` in pyproject.toml (a fork sets its own there).
        root: the workbook's folder.
    """
    from helpers.release import settings

    config = settings(root)
    repository = repository or config["repository"]
    branch = branch or config["branch"]
    released = read_released(find_notebook(notebook, root))
    number = released.filename.split("_", 1)[0]
    text = HEADER.format(filename=released.filename, count=len(released.exercises),
                         total=released.max_points, number=number, repository=repository,
                         branch=branch, skip="|".join(NOT_FOR_GRADING),
                         minutes=GRADING_MINUTES, results=RESULTS)
    for ex in released.exercises:
        text += STEP.format(test_name=f"{ex.id} {ex.name}", step_id=step_id(ex.id),
                            grader=COMMAND_GRADER, results=RESULTS, exercise=ex.id,
                            points=ex.points)
    ids = [step_id(ex.id) for ex in released.exercises]
    text += (f"      - name: Autograding Reporter\n        if: ${{{{ !cancelled() }}}}\n"
             f"        uses: {REPORTER}\n        env:\n")
    text += "".join(f'          {i.upper()}_RESULTS: "${{{{steps.{i}.outputs.result}}}}"\n'
                    for i in ids)
    text += f"        with:\n          runners: {','.join(ids)}\n"
    return text


def grade(notebook, submission, out, timeout=120):
    """Grades the student's notebook once, prints every result, writes them as JSON.

    Args:
        notebook: the released notebook: a path, or a number like `"07"`.
        submission: the student's notebook, or the folder (the repository) holding it.
        out: the JSON file to write: `notebook`, `total`, `max`, `status` and
            `exercises`, one `report.ExerciseResult` each (as a dict).
        timeout: seconds allowed per cell.

    Returns:
        The `Graded` result.
    """
    from helpers.grade import grade_one

    released = read_released(find_notebook(notebook))
    graded = grade_one(released.path, submission, timeout)
    data = {"notebook": released.filename, "total": graded.total, "max": graded.max_points,
            "status": graded.status, "exercises": [ex._asdict() for ex in graded.exercises]}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
    print(f"\n{released.filename}: {graded.total:g} of {graded.max_points:g} points; "
          f"status: {graded.status}")
    for ex in graded.exercises:
        print(f"{ex.exercise} {ex.name}: {ex.points:g} of {ex.max_points:g} points, {ex.status}")
        if ex.message is not None:
            print("\n".join("    " + line for line in ex.message.splitlines()))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:  # GitHub Actions shows this file on the run's page
        with open(summary, "a", encoding="utf-8") as f:
            f.write(job_summary(released.filename, graded))
    return graded


def job_summary(filename, graded):
    """The run's summary page (Markdown): the total, one table row per exercise, and each
    message of an exercise that did not pass."""
    lines = [f"## {filename}: {graded.total:g} of {graded.max_points:g} points", "",
             f"Status: {graded.status}", "", "| exercise | points | result |", "|---|---|---|"]
    lines += [f"| {ex.exercise} `{ex.name}` | {ex.points:g} of {ex.max_points:g} | {ex.status} |"
              for ex in graded.exercises]
    for ex in graded.exercises:
        if ex.message is not None:
            lines += ["", f"### {ex.exercise} {ex.name}", "", "```text", ex.message, "```"]
    return "\n".join(lines) + "\n"


def check(results, exercise_id):
    """One exercise's command-grader test: prints its result; returns 0 if it passed, else 1."""
    try:
        with open(results, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        print(f"no grading results ({error}): see the step 'Grade the notebook' in this log.")
        return 1
    for ex in data["exercises"]:
        if ex["exercise"] == exercise_id:
            print(f"{ex['exercise']} {ex['name']}: {ex['points']:g} of {ex['max_points']:g} "
                  f"points, {ex['status']}")
            if ex["message"] is not None:
                print(ex["message"])
            return 0 if ex["status"] == "passed" else 1
    print(f"{exercise_id} is not an exercise of {data['notebook']}.")
    return 1


def main(argv=None):
    """The command line (see the module docstring); returns the exit status."""
    parser, commands = command_line("helpers.grade.classroom", __doc__)
    write = commands.add_parser("workflow", help="print the autograding workflow of a notebook")
    write.add_argument("notebook", help=NOTEBOOK_HELP)
    write.add_argument("--repository", help="the workbook's Git URL (default: pyproject.toml)")
    write.add_argument("--branch", help="its branch (default: pyproject.toml)")
    write.add_argument("--out", help="write the workflow to this file instead of printing it")
    run = commands.add_parser("grade", help="grade the student's notebook, write the results")
    run.add_argument("notebook", help=NOTEBOOK_HELP)
    run.add_argument("submission", nargs="?", default=".",
                     help="the student's notebook or the folder holding it (default: .)")
    run.add_argument("--out", required=True, help="the results JSON to write")
    run.add_argument("--timeout", type=float, default=120, help="seconds per cell (120)")
    one = commands.add_parser("check", help="one exercise's result: exit 0 if it passed")
    one.add_argument("results", help="the JSON that `grade` wrote")
    one.add_argument("exercise", help="the exercise id, e.g. 07.3")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.results, args.exercise)
    try:
        if args.command == "grade":
            grade(caller_path(args.notebook), args.submission, args.out, args.timeout)
            return 0
        text = workflow(caller_path(args.notebook), args.repository, args.branch)
    except ValueError as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 2
    if args.out:
        out = os.path.join(os.environ.get("WORKBOOK_CALLER_DIR", os.getcwd()), args.out)
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {out}: copy it into the assignment's template repository as "
              f".github/workflows/classroom.yml")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
