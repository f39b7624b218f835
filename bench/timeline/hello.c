/* The same floor in C: gcc -O2 -o hello hello.c; ./hello SOCKET */
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
int main(int c, char **v) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {0}; a.sun_family = AF_UNIX; strncpy(a.sun_path, v[1], sizeof a.sun_path - 1);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) return 1;
    write(s, "hello\n", 6); char b[64]; int n = read(s, b, sizeof b);
    printf("exit %.*s", n > 0 ? n : 0, b); return 0;
}
