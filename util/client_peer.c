/*
 * client_peer - name, address and port of a network client
 *
 * A server that admits clients by name or address (qmqpd, later smtpd)
 * needs the client's host name, verified both ways: the reverse lookup
 * of the address gives a name, and the forward lookup of that name must
 * give the address back. Otherwise anyone who controls the reverse zone
 * of their own network could claim any name. A name that cannot be
 * verified is "unknown".
 *
 * Public functions:
 *	client_peer_lookup(peer, fd)	fill peer for the socket fd. An
 *			IPv4 client of a dual-stack socket is an IPv4 client.
 *			When fd is not an IPv4/IPv6 socket (stand-alone
 *			mode, a UNIX-domain socket), the client is
 *			localhost[127.0.0.1], port 0, as in Postfix.
 *	client_peer_set(peer, name, addr, port, family)	fill peer from
 *			known values (tests, and callers that learn the
 *			client otherwise)
 *	client_peer_hostname_valid(name)	a syntactically valid host name
 *			(letters, digits, '-', '_', dot-separated labels of at
 *			most 63 characters, at most 255 in all) that is not
 *			itself a numeric address
 *	client_peer_free(peer)	release the strings
 *
 * The lookups use the system resolver (getnameinfo, getaddrinfo: files
 * first, then DNS, as nsswitch.conf says). A reverse lookup must not
 * keep a client waiting for minutes when DNS is unreachable: the
 * resolver's per-try timeout and number of tries are capped at
 * CLIENT_PEER_DNS_TIMEOUT seconds and CLIENT_PEER_DNS_TRIES (stricter
 * settings in resolv.conf or RES_OPTIONS are kept). That is our choice;
 * Postfix uses the resolver's own settings.
 *
 * Diagnostics: warnings "hostname NAME verification failed: REASON",
 * "ADDR: address not listed for hostname NAME", "numeric hostname: NAME",
 * "malformed hostname: NAME" (the name is then "unknown"). A failed
 * reverse lookup is not warned about: it is common.
 *
 * Configuration parameters: none.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "client_peer.h"
#include "mem.h"
#include "msg.h"
#include "sock.h"

void client_peer_set(struct client_peer *peer, const char *name,
                     const char *addr, const char *port, int family)
{
    struct buf *text = buf_alloc(100);

    peer->name = mem_strdup(name);
    peer->addr = mem_strdup(addr);
    peer->port = mem_strdup(port);
    peer->family = family;
    buf_printf(text, "%s%s", family == AF_INET6 ? "IPv6:" : "", addr);
    peer->rfc_addr = mem_strdup(buf_str(text));
    buf_printf(text, "%s[%s]", name, addr);
    peer->namaddr = mem_strdup(buf_str(text));
    buf_printf(text, "%s[%s]:%s", name, addr, port);
    peer->namaddrport = mem_strdup(buf_str(text));
    buf_free(text);
}

int client_peer_hostname_valid(const char *name)
{
    size_t label = 0;
    size_t len = strlen(name);
    unsigned char bytes[16];

    if (len == 0 || len > 255 || name[0] == '.' || name[len - 1] == '-')
        return 0;
    for (const char *cp = name; *cp; cp++) {
        if (*cp == '.') {
            if (label == 0 || cp[-1] == '-')
                return 0;
            label = 0;
        } else if ((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z') ||
                   (*cp >= '0' && *cp <= '9') || *cp == '_' ||
                   (*cp == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return inet_pton(AF_INET, name, bytes) != 1 &&
           inet_pton(AF_INET6, name, bytes) != 1;
}

static void client_peer_dns_limits(void)
{
    static int done;

    if (done)
        return;
    done = 1;
    if (res_init() == 0) {
        if (_res.retrans > CLIENT_PEER_DNS_TIMEOUT)
            _res.retrans = CLIENT_PEER_DNS_TIMEOUT;
        if (_res.retry > CLIENT_PEER_DNS_TRIES)
            _res.retry = CLIENT_PEER_DNS_TRIES;
    }
}

/* Does a forward lookup of name give the address sa? */
static int client_peer_verify(const char *name, const char *addr,
                              const struct sockaddr *sa)
{
    struct addrinfo hints;
    struct addrinfo *res;
    struct addrinfo *ai;
    int err;
    int found = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = sa->sa_family;
    hints.ai_socktype = SOCK_STREAM;
    if ((err = getaddrinfo(name, NULL, &hints, &res)) != 0) {
        msg_warn("hostname %s verification failed: %s", name,
                 err == EAI_SYSTEM ? "system error" : gai_strerror(err));
        return 0;
    }
    for (ai = res; ai != NULL && !found; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && sa->sa_family == AF_INET)
            found = memcmp(&((struct sockaddr_in *)ai->ai_addr)->sin_addr,
                           &((const struct sockaddr_in *)sa)->sin_addr,
                           sizeof(struct in_addr)) == 0;
        else if (ai->ai_family == AF_INET6 && sa->sa_family == AF_INET6)
            found = memcmp(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
                           &((const struct sockaddr_in6 *)sa)->sin6_addr,
                           sizeof(struct in6_addr)) == 0;
    }
    freeaddrinfo(res);
    if (!found)
        msg_warn("%s: address not listed for hostname %s", addr, name);
    return found;
}

void client_peer_lookup(struct client_peer *peer, int fd)
{
    struct sockaddr_storage ss;
    struct sockaddr *sa = (struct sockaddr *)&ss;
    socklen_t len;
    char addr[NI_MAXHOST];
    char port[NI_MAXSERV];
    char name[NI_MAXHOST];
    const char *verified = CLIENT_PEER_UNKNOWN;

    if (sock_peer_sockaddr(fd, &ss, &len) < 0 ||
        (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
        client_peer_set(peer, "localhost", "127.0.0.1", "0", AF_INET);
        return;
    }
    if (getnameinfo(sa, len, addr, sizeof(addr), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        client_peer_set(peer, "localhost", "127.0.0.1", "0", AF_INET);
        return;
    }
    client_peer_dns_limits();
    if (getnameinfo(sa, len, name, sizeof(name), NULL, 0, NI_NAMEREQD) == 0) {
        unsigned char bytes[16];

        if (inet_pton(AF_INET, name, bytes) == 1 ||
            inet_pton(AF_INET6, name, bytes) == 1)
            msg_warn("numeric hostname: %s", name);
        else if (!client_peer_hostname_valid(name))
            msg_warn("malformed hostname: %.100s", name);
        else if (client_peer_verify(name, addr, sa))
            verified = name;
    }
    client_peer_set(peer, verified, addr, port, sa->sa_family);
}

void client_peer_free(struct client_peer *peer)
{
    mem_free(peer->name);
    mem_free(peer->addr);
    mem_free(peer->rfc_addr);
    mem_free(peer->port);
    mem_free(peer->namaddr);
    mem_free(peer->namaddrport);
    memset(peer, 0, sizeof(*peer));
}
