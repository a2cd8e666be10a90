#ifndef POSTERN_SOCK_H
#define POSTERN_SOCK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "buf.h"

/* Longest "[host]:port" text inet_addr_split() accepts. */
#define INET_ADDR_MAX 1024
/* Longest host part (a DNS name is at most 253 characters). */
#define INET_HOST_MAX 255

int unix_listen(const char *path, int backlog, int nonblock);
int unix_connect(const char *path, int timeout_ms);
int unix_dgram_listen(const char *path);
int unix_dgram_send(const char *path, const void *data, size_t len);
int inet_listen(const char *addr, int backlog, int nonblock);
int inet_connect(const char *addr, int timeout_ms);
int inet_addr_split(const char *addr, struct buf *host, struct buf *port);
int fifo_listen(const char *path, mode_t mode);
int sock_accept(int listen_fd);
int sock_peer(int fd, struct buf *addr, struct buf *port);
int sock_peer_sockaddr(int fd, struct sockaddr_storage *ss, socklen_t *len);
int sock_set_nonblock(int fd, int on);
int sock_set_cloexec(int fd, int on);

#endif
