#ifndef POSTERN_REWRITE_PROTO_H
#define POSTERN_REWRITE_PROTO_H

/*
 * The trivial-rewrite protocol, as Postfix 3.7 speaks it (observed on the
 * wire: Postfix's trivial-rewrite answering our client, and Postfix's
 * cleanup asking a listener of ours). Attribute lists in the "0" encoding
 * (attr.h) over the UNIX stream socket private/$rewrite_service_name
 * (default private/rewrite), served by the multi-client server
 * trivial-rewrite(8). A connection carries any number of requests, one at
 * a time; clients keep it open.
 *
 *	server, on accept:	protocol=trivial_rewrite_protocol
 *
 *	rewrite request:	request=rewrite, rule=<context>,
 *				address=<address, external form>
 *	reply:			flags=<server flags>,
 *				address=<rewritten address, external form>
 *
 *	resolve request:	request=resolve (or verify), sender=<sender>,
 *				address=<recipient, internal form>
 *	reply:			flags=<server flags>, transport=<transport>,
 *				nexthop=<next hop>, recipient=<recipient,
 *				internal form>, flags=<resolve flags>
 *
 * Attributes must come in this order (Postfix's server drops a client
 * that sends them otherwise); attributes after the last expected one are
 * ignored. A request with an unknown name, an unknown rewrite context or
 * a missing attribute gets no reply: the server logs a warning and
 * closes the connection.
 *
 * The rewrite contexts (rule=) are "local" (append @$myorigin and
 * .$mydomain per append_at_myorigin, append_dot_mydomain) and "remote"
 * (the same with $remote_header_rewrite_domain, nothing when that is
 * empty). Cleanup asks with rule=local for mail from local submission.
 *
 * "verify" resolves like "resolve" with the address_verify_* variants of
 * the routing parameters (address probes).
 *
 * The first "flags" of every reply (server flags) is 0 in everything we
 * observed Postfix 3.7 send; clients read and ignore it.
 *
 * Placeholders: when the resolver gives up before it has chosen a
 * transport, next hop or recipient (RESOLVE_FLAG_ERROR for an invalid
 * domain, RESOLVE_FLAG_FAIL for a table lookup failure) the unset values
 * are the texts below, as Postfix sends them; a client must look at the
 * flags first.
 */
#define REWRITE_PROTOCOL "trivial_rewrite_protocol"
#define REWRITE_SERVICE  "rewrite" /* default of rewrite_service_name */

/* Attribute names. */
#define REWRITE_ATTR_REQUEST   "request"
#define REWRITE_ATTR_RULE      "rule"
#define REWRITE_ATTR_ADDRESS   "address"
#define REWRITE_ATTR_SENDER    "sender"
#define REWRITE_ATTR_FLAGS     "flags"
#define REWRITE_ATTR_TRANSPORT "transport"
#define REWRITE_ATTR_NEXTHOP   "nexthop"
#define REWRITE_ATTR_RECIPIENT "recipient"

/* Request names. */
#define REWRITE_REQ_REWRITE "rewrite"
#define REWRITE_REQ_RESOLVE "resolve"
#define REWRITE_REQ_VERIFY  "verify"

/* Rewrite contexts. */
#define REWRITE_RULE_LOCAL  "local"
#define REWRITE_RULE_REMOTE "remote"

/* Values the resolver leaves unset (see above). */
#define RESOLVE_UNSET_TRANSPORT "CHANNEL NOT UPDATED"
#define RESOLVE_UNSET_NEXTHOP   "NEXTHOP NOT UPDATED"
#define RESOLVE_UNSET_RECIPIENT "NEXTRCPT NOT UPDATED"

/*
 * Resolve flags (the second "flags"): one address class bit, plus
 * status bits.
 *	FINAL	defined by Postfix; never seen set by 3.7's trivial-rewrite
 *	ROUTED	the recipient's local part holds a routing operator (@ ! %)
 *	ERROR	the address is malformed (bad domain syntax): bounce it
 *	FAIL	a table lookup failed: try again later
 * Classes: which of mydestination (LOCAL), virtual_alias_domains (ALIAS),
 * virtual_mailbox_domains (VIRTUAL), relay_domains (RELAY) or none of
 * them (DEFAULT) the recipient domain belongs to. A lookup failure while
 * finding the class leaves no class bit.
 */
#define RESOLVE_FLAG_FINAL  (1 << 0)
#define RESOLVE_FLAG_ROUTED (1 << 1)
#define RESOLVE_FLAG_ERROR  (1 << 2)
#define RESOLVE_FLAG_FAIL   (1 << 3)

#define RESOLVE_CLASS_LOCAL   (1 << 8)
#define RESOLVE_CLASS_ALIAS   (1 << 9)
#define RESOLVE_CLASS_VIRTUAL (1 << 10)
#define RESOLVE_CLASS_RELAY   (1 << 11)
#define RESOLVE_CLASS_DEFAULT (1 << 12)

#define RESOLVE_CLASS_MASK                                                     \
    (RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_ALIAS | RESOLVE_CLASS_VIRTUAL |       \
     RESOLVE_CLASS_RELAY | RESOLVE_CLASS_DEFAULT)
/* Classes whose mail is delivered on this host. */
#define RESOLVE_CLASS_FINAL                                                    \
    (RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_ALIAS | RESOLVE_CLASS_VIRTUAL)

/*
 * Results that are not a transport of their own: the "error" transport
 * carries its reason in nexthop ("5.1.1 User unknown in virtual alias
 * table", "5.1.6 User has moved to <new>", or a transport_maps text).
 */
#define RESOLVE_TRANSPORT_ERROR   "error"
#define RESOLVE_TRANSPORT_DISCARD "discard"

#endif
