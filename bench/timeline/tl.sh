#!/bin/bash
# tl.sh NAME CMD...: one run of CMD with every process start and exit on the machine recorded (perf, CLOCK_MONOTONIC)
# and the offset to epoch; then merge.py NAME RUNTIME_LOG CLASSES puts them, the CLI's class-load log (run CMD with
# TEROK_JAVA_OPTS=-Xlog:startuptime,class+load:file=NAME.jvm:tm) and runtime.log's lines on one axis.
# As root, against an installation held up by TEROK_BENCH_PARTS=hold bench/run-agent-task (docs/benchmarks.md).
name=$1; shift
perf record -q -k mono -a -e sched:sched_process_exec -e sched:sched_process_exit -e sched:sched_process_fork -o $name.data &
pp=$!; sleep 1.5
python3 -c 'import time; print("%.6f" % (time.time()-time.monotonic()))' > $name.off
python3 -c 'import time; print("start %.6f" % time.time())' > $name.cmd
"$@" >> $name.out 2>&1
python3 -c 'import time; print("end %.6f" % time.time())' >> $name.cmd
sleep 0.8; kill -INT $pp; wait $pp
perf script -i $name.data -F comm,pid,tid,time,event,trace > $name.perf 2>/dev/null
