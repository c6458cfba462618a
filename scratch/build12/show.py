import json, sys, datetime
nb=json.load(open(sys.argv[1]))
def t(s): return datetime.datetime.fromisoformat(s.replace('Z','+00:00'))
for i,c in enumerate(nb['cells']):
    if c['cell_type']!='code': continue
    ex=c['metadata'].get('execution',{})
    dur=(t(ex['shell.execute_reply'])-t(ex['iopub.execute_input'])).total_seconds() if ex else -1
    out=''
    for o in c.get('outputs',[]):
        if 'text' in o: out+=''.join(o['text'])
        elif 'data' in o: out+=''.join(o['data'].get('text/plain',''))[:1500]
        if o.get('output_type')=='error': out+='ERROR '+o['ename']+': '+o['evalue'][:500]
    print(f"=== [{i}] {dur:.1f}s {''.join(c['source']).splitlines()[0][:60]}")
    if len(sys.argv)<3 or out: print(out[-2500:])
