# The attacks of issue 15 item 4, run inside a task (agent image: util-linux unshare, perl's syscall() for
# the calls no tool makes; x86_64 numbers). Prints NAME=ok or NAME=errno.
grep Seccomp: /proc/self/status
if unshare -U true 2>/dev/null; then echo UNSHARE-OK; else echo UNSHARE-REFUSED; fi
perl -e '
  $| = 1;
  sub r { my ($n, $v) = @_; print $n, "=", ($v == -1 ? $!+0 : "ok"), "\n" }
  r("keyctl", syscall(250, 0, -4, 0));
  my ($t, $d, $x) = ("user", "terok-probe", "x");
  r("add_key", syscall(248, $t, $d, $x, 1, -4));
  r("request_key", syscall(249, $t, $d, 0, 0));
  my $p = syscall(56, 0x10000000 | 17, 0, 0, 0, 0); exit 0 if $p == 0; r("clone_newuser", $p); waitpid($p, 0) if $p > 0;
  r("clone3", syscall(435, 0, 0));
  r("userfaultfd", syscall(323, 0));
  my $f = fork(); exit 0 if $f == 0; r("fork", defined $f ? 0 : -1); waitpid($f, 0);
'
cd /tmp && git init -q w && cd w && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m x && echo GIT-OK
true
