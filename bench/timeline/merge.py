# merge.py NAME RUNTIME_LOG [CLASS,CLASS...]: the timeline of tl.sh's run NAME in ms from the command's start: process
# execs and exits (NAME.perf), the JVM's first line, Create VM and the first load of each named class (NAME.jvm) and
# runtime.log's lines of that window.
import sys, re, datetime
name=sys.argv[1]; logf=sys.argv[2]; pats=sys.argv[3].split(',') if len(sys.argv)>3 else []
off=float(open(name+'.off').read()); cmd=dict(l.split() for l in open(name+'.cmd'))
t0=float(cmd['start']); t1=float(cmd['end'])
ev=[]
ev.append((t0,'CMD start')); ev.append((t1,'CMD end (harness saw exit)'))
# perf
for l in open(name+'.perf'):
    m=re.match(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s+(.*)',l)
    if not m: continue
    comm,pid,tid,ts,evn,tr=m.groups(); t=float(ts)+off
    if t<t0-0.01 or t>t1+0.5: continue
    if 'exec' in evn: ev.append((t,'exec %s [%s] %s'%(comm,pid,tr.split()[0])))
    elif 'exit' in evn and pid==tid: ev.append((t,'exit %s [%s]'%(comm,pid)))
    elif 'fork' in evn and comm not in ('java','podman','conmon'): pass
# jvm
first=None; seen=set()
for l in open(name+'.jvm'):
    m=re.match(r'\[(\d+)ms\] (.*)',l)
    if not m: continue
    t=int(m.group(1))/1000; s=m.group(2)
    if first is None: ev.append((t,'JVM first log line')); first=t
    if 'secs' in s and ('Create VM' in s): ev.append((t,'JVM '+s))
    for p in pats:
        if s.startswith(p+' ') and p not in seen: seen.add(p); ev.append((t,'JVM loads '+p))
    last=(t,s)
ev.append((last[0],'JVM last log line: '+last[1][:60]))
# runtime log
day=datetime.datetime.utcfromtimestamp(t0).strftime('%Y-%m-%d')
for l in open(logf):
    m=re.match(r'(\d\d:\d\d:\d\d\.\d+) (.*)',l)
    if not m: continue
    t=datetime.datetime.strptime(day+' '+m.group(1)+'000','%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc).timestamp()
    if t0-0.01<=t<=t1+0.5: ev.append((t,'runtime.log '+m.group(2)[:230]))
for t,s in sorted(ev): print('%+7.0f  %s'%((t-t0)*1000,s))
