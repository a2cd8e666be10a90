#ifndef POSTERN_MASTER_PROTO_H
#define POSTERN_MASTER_PROTO_H

/*
 * The master <-> child protocol, as Postfix 3.7 defines it, so that our
 * daemons run under Postfix's master and Postfix's daemons under ours.
 *
 * Descriptors a child inherits from master:
 *	0, 1, 2		inherited (/dev/null for a detached master)
 *	3		read end of the in-flow token pipe (shared by all)
 *	4		write end of the in-flow token pipe
 *	5		write end of the service's status pipe
 *	6 .. 6+n-1	the service's listen sockets (or fifo); n > 1 is
 *			announced with "-s n" on the command line
 *
 * Status messages: one write(2) of struct master_status to fd 5, in
 * native byte order: TAKEN (0) right after accept(), before serving;
 * AVAIL (1) when the child is idle again. gen echoes the GENERATION
 * environment variable (octal) so master can ignore a message from a
 * previous child with a recycled pid.
 *
 * A child watches fd 5 too: when master goes away or closes the status
 * pipe (reload), the descriptor becomes readable (EOF) and the child
 * exits once it has finished its current client.
 */
#define MASTER_FLOW_READ  3
#define MASTER_FLOW_WRITE 4
#define MASTER_STATUS_FD  5
#define MASTER_LISTEN_FD  6

#define MASTER_STAT_TAKEN 0
#define MASTER_STAT_AVAIL 1

#define MASTER_GENERATION_ENV "GENERATION"
#define MASTER_CONFIG_ENV     "MAIL_CONFIG"

struct master_status {
    int pid;
    unsigned gen;
    int avail;
};

/* The bytes of a trigger request (see also trigger.h). */
#define TRIGGER_REQ_WAKEUP 'W'

#endif
