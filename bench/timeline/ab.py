#!/usr/bin/env python3
# ab.py ROUNDS VARIANTS.json: runs each variant's argv (with its env additions) in turn, the order rotated each round,
# the first round dropped; prints the median wall and user+system CPU (ms, from wait4) per variant and the load average.
# VARIANTS.json: [{"name": ..., "argv": [...], "env": {...}}, ...] (docs/benchmarks.md, Agent tasks, seventh session).
import json, os, sys, time, statistics, subprocess
rounds=int(sys.argv[1]); vs=json.load(open(sys.argv[2]))
res={v['name']:([],[]) for v in vs}
l0=os.getloadavg()
for r in range(rounds):
    order=vs[r%len(vs):]+vs[:r%len(vs)]
    for v in order:
        env=dict(os.environ); env.update(v.get('env',{}))
        t0=time.monotonic()
        p=subprocess.Popen(v['argv'],env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,cwd=v.get('cwd'))
        _,st,ru=os.wait4(p.pid,0)
        t1=time.monotonic()
        if os.waitstatus_to_exitcode(st)!=v.get('rc',0): print('!! %s exited %d'%(v['name'],os.waitstatus_to_exitcode(st)),file=sys.stderr)
        if 'after' in v: subprocess.run(v['after'],shell=True,env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
        if r>0 or rounds==1:
            res[v['name']][0].append((t1-t0)*1000); res[v['name']][1].append((ru.ru_utime+ru.ru_stime)*1000)
l1=os.getloadavg()
print('load %.1f-%.1f, %d rounds (first dropped)'%(min(l0[0],l1[0]),max(l0[0],l1[0]),rounds))
for v in vs:
    w,c=res[v['name']]
    print('%-40s wall %6.0f  cpu %5.0f   (wall p10 %4.0f p90 %4.0f)'%(v['name'],statistics.median(w),statistics.median(c),sorted(w)[len(w)//10],sorted(w)[len(w)*9//10]))
