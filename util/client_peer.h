#ifndef POSTERN_CLIENT_PEER_H
#define POSTERN_CLIENT_PEER_H

/*
 * Who is at the other end of a network connection: verified host name,
 * address and port, in the forms servers log and record. See
 * client_peer.c.
 */
struct client_peer {
    char *name;        /* verified host name, or "unknown" */
    char *addr;        /* printable address, no brackets */
    char *rfc_addr;    /* addr, or "IPv6:" addr (headers, log_ attributes) */
    char *port;        /* decimal, "0" when there is none */
    int family;        /* AF_INET or AF_INET6 */
    char *namaddr;     /* name[addr] */
    char *namaddrport; /* name[addr]:port */
};

#define CLIENT_PEER_UNKNOWN "unknown"

/* Longest reverse-lookup wait per DNS query try, and tries. */
#define CLIENT_PEER_DNS_TIMEOUT 2
#define CLIENT_PEER_DNS_TRIES   2

void client_peer_lookup(struct client_peer *peer, int fd);
void client_peer_set(struct client_peer *peer, const char *name,
                     const char *addr, const char *port, int family);
int client_peer_hostname_valid(const char *name);
void client_peer_free(struct client_peer *peer);

#endif
