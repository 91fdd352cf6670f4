/* Sockets passed to the host: AF_UNIX (stream, datagram, abstract, descriptors and
   credentials passed), AF_INET TCP and UDP on the loopback, AF_INET6 where the host has it,
   options, names, shutdown, the send/recv and msg families, errors, and a thread blocked in
   accept while another connects. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

static void send_fd(int sock, int fd) {
    char byte = 'F';
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    printf("sendmsg with SCM_RIGHTS: %s\n", err(sendmsg(sock, &msg, 0)));
}

static int receive_fd(int sock, int flags) {
    char byte = 0;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t got = recvmsg(sock, &msg, flags);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    int fd = -1;
    if (cmsg && cmsg->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    printf("recvmsg: %zd byte '%c' rights %d controllen %zu\n", got, byte, cmsg != NULL,
           (size_t)msg.msg_controllen);
    return fd;
}

static void unix_stream(void) {
    int sv[2];
    printf("socketpair: %s\n", err(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)));
    printf("cloexec: %d\n", (fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0);
    write(sv[0], "ping", 4);
    char buf[32] = {0};
    printf("read: %zd '%s'\n", read(sv[1], buf, sizeof buf), buf);
    printf("send: %s\n", err(send(sv[1], "pong!", 5, 0)));
    memset(buf, 0, sizeof buf);
    printf("recv peek: %zd '%s'\n", recv(sv[0], buf, 3, MSG_PEEK), buf);
    memset(buf, 0, sizeof buf);
    printf("recv waitall: %zd '%s'\n", recv(sv[0], buf, 5, MSG_WAITALL), buf);
    printf("recv nothing, dontwait: %s\n", err(recv(sv[0], buf, 5, MSG_DONTWAIT)));

    int p[2];
    pipe(p);
    send_fd(sv[0], p[0]);
    int received = receive_fd(sv[1], MSG_CMSG_CLOEXEC);
    printf("received descriptor is new: %d cloexec %d\n", received != p[0] && received >= 0,
           (fcntl(received, F_GETFD) & FD_CLOEXEC) != 0);
    write(p[1], "through the passed fd", 21);
    memset(buf, 0, sizeof buf);
    read(received, buf, sizeof buf - 1);
    printf("read through it: '%s'\n", buf);
    close(received);
    close(p[0]);
    close(p[1]);

    int on = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    write(sv[0], "c", 1);
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    recvmsg(sv[1], &msg, 0);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    struct ucred cred = {0};
    if (cmsg && cmsg->cmsg_type == SCM_CREDENTIALS) memcpy(&cred, CMSG_DATA(cmsg), sizeof cred);
    printf("credentials: pid ok %d uid ok %d\n", cred.pid == getpid(), cred.uid == getuid());

    struct ucred peer;
    socklen_t len = sizeof peer;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &len);
    printf("SO_PEERCRED: pid ok %d len %u\n", peer.pid == getpid(), len);
    printf("shutdown: %s\n", err(shutdown(sv[0], SHUT_WR)));
    printf("recv after peer shutdown: %zd\n", recv(sv[1], buf, sizeof buf, 0));
    printf("shutdown bad how: %s\n", err(shutdown(sv[0], 7)));
    close(sv[0]);
    close(sv[1]);
}

static void unix_datagram(void) {
    int server = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, "dgram.sock");
    printf("bind path: %s\n", err(bind(server, (struct sockaddr *)&addr, sizeof addr)));
    printf("bind again: %s\n", err(bind(server, (struct sockaddr *)&addr, sizeof addr)));
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("sendto path: %s\n", err(sendto(client, "datagram", 8, 0, (struct sockaddr *)&addr,
                                           sizeof addr)));
    char buf[32] = {0};
    struct sockaddr_un from;
    socklen_t from_len = sizeof from;
    ssize_t got = recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
    printf("recvfrom: %zd '%s' from an unbound sender: len %u\n", got, buf, from_len);
    struct sockaddr_un name;
    socklen_t name_len = sizeof name;
    getsockname(server, (struct sockaddr *)&name, &name_len);
    printf("getsockname: '%s' len %u\n", name.sun_path, name_len);
    name_len = 4;
    getsockname(server, (struct sockaddr *)&name, &name_len);
    printf("getsockname short buffer: full len %u\n", name_len);
    sendto(client, "0123456789", 10, 0, (struct sockaddr *)&addr, sizeof addr);
    memset(buf, 0, sizeof buf);
    printf("recv truncated: %zd '%s'\n", recv(server, buf, 4, MSG_TRUNC), buf);
    close(client);
    close(server);
    unlink("dgram.sock");

    int abstract = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un hidden = {.sun_family = AF_UNIX};
    snprintf(hidden.sun_path + 1, sizeof hidden.sun_path - 1, "pyemu-abstract-%d", getpid());
    socklen_t hidden_len = offsetof(struct sockaddr_un, sun_path) + 1 +
                           strlen(hidden.sun_path + 1);
    printf("bind abstract: %s\n", err(bind(abstract, (struct sockaddr *)&hidden, hidden_len)));
    listen(abstract, 1);
    int caller = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("connect abstract: %s\n", err(connect(caller, (struct sockaddr *)&hidden, hidden_len)));
    int served = accept(abstract, NULL, NULL);
    write(caller, "abs", 3);
    memset(buf, 0, sizeof buf);
    read(served, buf, sizeof buf);
    printf("abstract carried: '%s'\n", buf);
    close(served);
    close(caller);
    close(abstract);
}

static int tcp_listener(struct sockaddr_in *addr) {
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    addr->sin_family = AF_INET;
    addr->sin_port = 0;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(server, (struct sockaddr *)addr, sizeof *addr);
    listen(server, 4);
    socklen_t len = sizeof *addr;
    getsockname(server, (struct sockaddr *)addr, &len);
    return server;
}

static void *late_connector(void *arg) {
    struct sockaddr_in *addr = arg;
    usleep(30000);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    connect(client, (struct sockaddr *)addr, sizeof *addr);
    send(client, "late", 4, 0);
    close(client);
    return NULL;
}

static void tcp(void) {
    struct sockaddr_in addr;
    int server = tcp_listener(&addr);
    printf("ephemeral port: %d\n", ntohs(addr.sin_port) != 0);
    int value = 0;
    socklen_t len = sizeof value;
    getsockopt(server, SOL_SOCKET, SO_REUSEADDR, &value, &len);
    printf("SO_REUSEADDR: %d len %u\n", value != 0, len);
    getsockopt(server, SOL_SOCKET, SO_TYPE, &value, &len);
    printf("SO_TYPE: %d\n", value);
    printf("getsockopt bad level: %s\n", err(getsockopt(server, 999, 1, &value, &len)));
    int client = socket(AF_INET, SOCK_STREAM, 0);
    printf("connect: %s\n", err(connect(client, (struct sockaddr *)&addr, sizeof addr)));
    struct sockaddr_in peer, mine;
    socklen_t peer_len = sizeof peer, mine_len = sizeof mine;
    int conn = accept4(server, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
    getsockname(client, (struct sockaddr *)&mine, &mine_len);
    printf("accept4: %d peer is the client %d cloexec %d\n", conn >= 0,
           peer.sin_port == mine.sin_port && peer_len == sizeof peer,
           (fcntl(conn, F_GETFD) & FD_CLOEXEC) != 0);
    int on = 1;
    printf("TCP_NODELAY: %s\n", err(setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on)));
    send(client, "over tcp", 8, 0);
    char buf[64] = {0};
    printf("recv: %zd '%s'\n", recv(conn, buf, sizeof buf, 0), buf);
    struct timeval timeout = {0, 30000};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    printf("recv with SO_RCVTIMEO: %s\n", err(recv(conn, buf, sizeof buf, 0)));
    struct timeval back;
    socklen_t back_len = sizeof back;
    getsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &back, &back_len);
    printf("SO_RCVTIMEO read back: %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);
    close(client);
    printf("recv after close: %zd\n", recv(conn, buf, sizeof buf, 0));
    close(conn);

    pthread_t thread;
    pthread_create(&thread, NULL, late_connector, &addr);
    conn = accept(server, NULL, NULL);
    memset(buf, 0, sizeof buf);
    recv(conn, buf, sizeof buf, MSG_WAITALL);
    printf("accept in a blocked thread got: '%s'\n", buf);
    pthread_join(thread, NULL);
    close(conn);

    pid_t child = fork();
    if (child == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        connect(c, (struct sockaddr *)&addr, sizeof addr);
        send(c, "from the child", 14, 0);
        _exit(0);
    }
    conn = accept(server, NULL, NULL);
    memset(buf, 0, sizeof buf);
    recv(conn, buf, sizeof buf, MSG_WAITALL);
    printf("from a forked child: '%s'\n", buf);
    waitpid(child, NULL, 0);
    close(conn);
    close(server);
    printf("connect refused: %s\n", err(connect(socket(AF_INET, SOCK_STREAM, 0),
                                                (struct sockaddr *)&addr, sizeof addr)));
    int idle = socket(AF_INET, SOCK_STREAM, 0);
    printf("recv unconnected: %s\n", err(recv(idle, buf, 1, 0)));
    printf("accept unlistening: %s\n", err(accept(idle, NULL, NULL)));
    printf("bind short: %s\n", err(bind(idle, (struct sockaddr *)&addr, 3)));
    printf("getpeername unconnected: %s\n", err(getpeername(idle, (struct sockaddr *)&peer,
                                                             &peer_len)));
    close(idle);
}

static void udp(void) {
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(a, (struct sockaddr *)&addr, sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(a, (struct sockaddr *)&addr, &len);
    char one[] = "scatter ", two[] = "gather";
    struct iovec out[2] = {{one, 8}, {two, 6}};
    struct msghdr msg = {.msg_name = &addr, .msg_namelen = sizeof addr, .msg_iov = out,
                         .msg_iovlen = 2};
    printf("sendmsg: %s\n", err(sendmsg(b, &msg, 0)));
    char x[4] = {0}, y[32] = {0};
    struct iovec in[2] = {{x, 3}, {y, 31}};
    struct sockaddr_in from;
    struct msghdr rmsg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = in,
                          .msg_iovlen = 2};
    ssize_t got = recvmsg(a, &rmsg, 0);
    printf("recvmsg: %zd '%s' '%s' namelen %u flags %d\n", got, x, y, rmsg.msg_namelen,
           rmsg.msg_flags);
    struct mmsghdr many[3];
    struct iovec vecs[3];
    char texts[3][8] = {"first", "second", "third"};
    memset(many, 0, sizeof many);
    for (int i = 0; i < 3; i++) {
        vecs[i].iov_base = texts[i];
        vecs[i].iov_len = strlen(texts[i]);
        many[i].msg_hdr.msg_iov = &vecs[i];
        many[i].msg_hdr.msg_iovlen = 1;
        many[i].msg_hdr.msg_name = &addr;
        many[i].msg_hdr.msg_namelen = sizeof addr;
    }
    printf("sendmmsg: %s lens %u %u %u\n", err(sendmmsg(b, many, 3, 0)), many[0].msg_len,
           many[1].msg_len, many[2].msg_len);
    char bufs[3][16];
    memset(bufs, 0, sizeof bufs);
    for (int i = 0; i < 3; i++) {
        vecs[i].iov_base = bufs[i];
        vecs[i].iov_len = sizeof bufs[i] - 1;
        many[i].msg_hdr.msg_name = NULL;
        many[i].msg_hdr.msg_namelen = 0;
    }
    int n = recvmmsg(a, many, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg: %d '%s' '%s' '%s'\n", n, bufs[0], n > 1 ? bufs[1] : "",
           n > 2 ? bufs[2] : "");
    printf("recv nothing: %s\n", err(recv(a, y, 1, MSG_DONTWAIT)));
    close(a);
    close(b);

    int six = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (six >= 0 && bind(six, (struct sockaddr *)&addr6, sizeof addr6) == 0) {
        socklen_t len6 = sizeof addr6;
        getsockname(six, (struct sockaddr *)&addr6, &len6);
        sendto(six, "six", 3, 0, (struct sockaddr *)&addr6, sizeof addr6);
        char buf[8] = {0};
        struct sockaddr_in6 from6;
        socklen_t from6_len = sizeof from6;
        recvfrom(six, buf, sizeof buf, 0, (struct sockaddr *)&from6, &from6_len);
        printf("ipv6 loopback: '%s' len %u\n", buf, from6_len);
    } else {
        printf("ipv6 loopback: unavailable on this host\n");
    }
    close(six);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("socket bad family: %s\n", err(socket(9999, SOCK_STREAM, 0)));
    printf("socket bad type: %s\n", err(socket(AF_INET, 77, 0)));
    struct sockaddr_in nowhere = {.sin_family = AF_INET};
    printf("connect a non-socket: %s\n",
           err(connect(1, (struct sockaddr *)&nowhere, sizeof nowhere)));
    unix_stream();
    unix_datagram();
    tcp();
    udp();
    return 0;
}
