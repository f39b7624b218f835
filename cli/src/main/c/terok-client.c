/*
 * terok-client: bin/terok's fast path. Hands the command to a spare CLI process (a JVM started earlier, see
 * io.terok.cli.spare.Spare) over <runtime dir>/cli-spare/sock, passing this process's stdin/stdout/stderr, and exits
 * with the command's exit code. Whenever the spare has not accepted the command (none waiting, another user's, another
 * protocol version, or it answers "fallback": another directory, environment or build, an interactive verb), it
 * execs the cold command bin/terok gave it, exactly as bin/terok would have; when no spare is waiting it also starts
 * one, detached, for the next command.
 *
 * Usage (bin/terok only): terok-client DIR NCOLD NSPARE COLD... SPARE... ARGS...
 *   DIR     the spare's directory (0700, created here if missing)
 *   COLD    the cold command line without the CLI's arguments (java, its options, -jar, the jar)
 *   SPARE   the command line of a spare process (the same, with its own options and `cli-spare serve`)
 *   ARGS    the CLI's arguments
 * TEROK_NO_SPARE=1: always cold, never start a spare.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAGIC 0x544b5331u /* "TKS1": io.terok.cli.spare.SpareRequest.MAGIC */

static char **cold_argv;
static volatile sig_atomic_t spare_pid;
static volatile sig_atomic_t forwarded;

static void go_cold(int sock) {
    if (sock >= 0)
        close(sock);
    execvp(cold_argv[0], cold_argv);
    fprintf(stderr, "terok: cannot run %s: %s\n", cold_argv[0], strerror(errno));
    _exit(127);
}

/* A growing buffer for the request. */
struct buf { char *p; size_t len, cap; int failed; };

static void put(struct buf *b, const void *d, size_t n) {
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->failed = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_u32(struct buf *b, uint32_t v) {
    unsigned char c[4] = {v >> 24, v >> 16, v >> 8, v};
    put(b, c, 4);
}

static void put_list(struct buf *b, char **items, int n) {
    put_u32(b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(items[i]);
        put_u32(b, (uint32_t)len);
        put(b, items[i], len);
    }
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int send_fd(int sock, int fd) {
    char byte = 'D';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    for (;;) {
        ssize_t r = sendmsg(sock, &m, MSG_NOSIGNAL);
        if (r == 1)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Starts a spare unless one holds the lock (waiting, or still starting): double fork, own session, no tty. */
static void start_spare(const char *dir, char **spare_argv) {
    char lock[4096];
    if (snprintf(lock, sizeof lock, "%s/lock", dir) >= (int)sizeof lock)
        return;
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0)
        return;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int held = fcntl(lfd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(lfd);
    if (held)
        return;
    pid_t p = fork();
    if (p < 0)
        return;
    if (p > 0) {
        waitpid(p, NULL, 0);
        return;
    }
    setsid();
    if (fork() != 0)
        _exit(0);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
        if (nul > 2)
            close(nul);
    }
    execvp(spare_argv[0], spare_argv);
    _exit(127);
}

static void forward(int sig) {
    forwarded = sig;
    if (spare_pid > 0)
        kill((pid_t)spare_pid, sig);
}

int main(int argc, char **argv) {
    if (argc < 4)
        return 2;
    const char *dir = argv[1];
    int ncold = atoi(argv[2]), nspare = atoi(argv[3]);
    if (ncold < 1 || nspare < 1 || 4 + ncold + nspare > argc)
        return 2;
    char **args = argv + 4 + ncold + nspare;
    int nargs = argc - 4 - ncold - nspare;
    /* The cold command line: COLD... ARGS... */
    cold_argv = calloc((size_t)(ncold + nargs + 1), sizeof(char *));
    char **spare_argv = calloc((size_t)(nspare + 1), sizeof(char *));
    if (!cold_argv || !spare_argv)
        return 1;
    memcpy(cold_argv, argv + 4, (size_t)ncold * sizeof(char *));
    memcpy(cold_argv + ncold, args, (size_t)nargs * sizeof(char *));
    memcpy(spare_argv, argv + 4 + ncold, (size_t)nspare * sizeof(char *));

    const char *no = getenv("TEROK_NO_SPARE");
    if (no && *no)
        go_cold(-1);
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            go_cold(-1); /* a closed standard descriptor cannot be passed */

    /* The directory: this user's, 0700 (made here if missing, as the spare would). */
    struct stat st;
    if (lstat(dir, &st) < 0) {
        if (errno != ENOENT)
            go_cold(-1);
        char parent[4096];
        snprintf(parent, sizeof parent, "%s", dir);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
            *slash = 0;
            if (access(parent, W_OK) != 0)
                go_cold(-1);
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            go_cold(-1);
        if (lstat(dir, &st) < 0)
            go_cold(-1);
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 0777) != 0700)
        go_cold(-1);

    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (snprintf(a.sun_path, sizeof a.sun_path, "%s/sock", dir) >= (int)sizeof a.sun_path)
        go_cold(-1);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        go_cold(-1);
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
        if (errno == ENOENT || errno == ECONNREFUSED)
            start_spare(dir, spare_argv);
        go_cold(s);
    }
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != getuid())
        go_cold(s); /* never hand a command, its environment or descriptors to another user's process */

    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        go_cold(s);
    int nenv = 0;
    while (environ[nenv])
        nenv++;
    struct buf b = {0};
    put_u32(&b, MAGIC);
    put_list(&b, args, nargs);
    char *cwds[] = {cwd};
    put_list(&b, cwds, 1);
    put_list(&b, environ, nenv);
    put_list(&b, spare_argv, nspare);
    if (b.failed || write_all(s, b.p, b.len) < 0)
        go_cold(s);
    free(b.p);
    unsigned char answer;
    if (read_all(s, &answer, 1) < 0 || answer != 'A')
        go_cold(s);

    /* Accepted: from here on the command is the spare's; this process only relays signals and the exit code. */
    spare_pid = cred.pid;
    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaction(sigs[i], &sa, NULL);
    for (int fd = 0; fd <= 2; fd++) {
        if (send_fd(s, fd) < 0) {
            fprintf(stderr, "terok: cannot pass the standard streams to the spare CLI process: %s\n", strerror(errno));
            kill(cred.pid, SIGTERM);
            return 1;
        }
    }
    unsigned char x[5];
    if (read_all(s, x, 5) == 0 && x[0] == 'X')
        return (int)((uint32_t)x[1] << 24 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 8 | x[4]) & 0xff;
    if (forwarded)
        return 128 + forwarded; /* as the JVM exits on that signal */
    fprintf(stderr, "terok: the spare CLI process (pid %d) ended without an exit code\n", (int)cred.pid);
    return 1;
}
