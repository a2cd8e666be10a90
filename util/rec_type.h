#ifndef POSTERN_REC_TYPE_H
#define POSTERN_REC_TYPE_H

/*
 * rec_type - the queue file record format (compatible with Postfix 3.7)
 *
 * This header is the specification of the format; every record letter,
 * segment rule and fixed-width payload is defined here and nowhere else.
 *
 * ENCODING. A queue file, and the record stream a client sends to the
 * cleanup service, is a sequence of records:
 *
 *	type	one byte, a letter below
 *	length	the payload length, base 128, least significant group
 *		first: each byte holds 7 bits of the length, and its high bit
 *		(0x80) is set when another length byte follows. Lengths
 *		0..127 take one byte. At most REC_LEN_BYTES_MAX (4) bytes, so
 *		at most 28 bits; a reader rejects longer lengths.
 *	payload	exactly length bytes; may contain NUL; not NUL-terminated
 *		on disk (readers add a terminator in memory)
 *
 * Example: an 'N' record with the 3-byte text "abc" is 'N' 0x03 'a' 'b'
 * 'c'; a 200-byte payload has the length bytes 0xC8 0x01.
 *
 * IN-PLACE UPDATES. A file is changed after it is written only by
 * rewriting one type byte (R -> D when a recipient is done, R -> / when
 * it is canceled, any record -> K to kill it) or by rewriting a
 * fixed-width payload of the same length (the size, warn and pointer
 * records below). Nothing else moves.
 *
 * SEGMENTS, in file order (see REC_TYPE_ENVELOPE etc. for the letters
 * each may hold):
 *
 *	envelope	C T A(create_time) ... F S A... W [o n O R]... p
 *	content		M N/L... (headers) p N/L... (body) p
 *	extracted	X [r e A F I L > o n O R K D /]... E
 *	heap		anything after E: targets of pointer records
 *
 * A reader stops at E; a file without E is corrupt.
 */

#define REC_LEN_BYTES_MAX 4                 /* length bytes per record */
#define REC_LEN_MAX       ((1L << 28) - 1L) /* longest payload */

/* Reader results that are not record letters. */
#define REC_TYPE_EOF   (-1) /* clean end of input before a type byte */
#define REC_TYPE_ERROR (-2) /* corrupt record, I/O error or timeout */

/*
 * RECORD LETTERS. Payload formats in brackets. FILT and CONT share the
 * letter 'L' (a historical clash kept for compatibility): the segment
 * says which is meant.
 */
#define REC_TYPE_SIZE       'C' /* first record: six counters, see below */
#define REC_TYPE_TIME       'T' /* arrival time [REC_TYPE_TIME_FORMAT] */
#define REC_TYPE_CTIME      'c' /* create time; on disk as A create_time= */
#define REC_TYPE_FULL       'F' /* sender full name, optional */
#define REC_TYPE_INSP       'I' /* inspector transport */
#define REC_TYPE_FILT       'L' /* content filter [transport:nexthop] */
#define REC_TYPE_FROM       'S' /* envelope sender; empty = null sender */
#define REC_TYPE_DONE       'D' /* recipient done (a rewritten R) */
#define REC_TYPE_RCPT       'R' /* recipient still to do */
#define REC_TYPE_ORCP       'O' /* original recipient, precedes its R */
#define REC_TYPE_DRCP       '/' /* canceled recipient (a rewritten R) */
#define REC_TYPE_WARN       'W' /* delay warning time [REC_TYPE_WARN_FORMAT] */
#define REC_TYPE_ATTR       'A' /* named attribute [name=value] */
#define REC_TYPE_KILL       'K' /* killed record, ignored by readers */
#define REC_TYPE_RDR        '>' /* redirect target */
#define REC_TYPE_FLGS       'f' /* cleanup processing flags (cleanup IPC) */
#define REC_TYPE_DELAY      'd' /* cleanup delay upon arrival (cleanup IPC) */
#define REC_TYPE_MESG       'M' /* start of content; empty payload */
#define REC_TYPE_CONT       'L' /* content line fragment, no newline after */
#define REC_TYPE_NORM       'N' /* content line, newline implied after */
#define REC_TYPE_DTXT       'w' /* padding / deleted text, skipped */
#define REC_TYPE_XTRA       'X' /* start of extracted segment; empty payload */
#define REC_TYPE_RRTO       'r' /* return-receipt address (from headers) */
#define REC_TYPE_ERTO       'e' /* errors-to address (from headers) */
#define REC_TYPE_PRIO       'P' /* priority */
#define REC_TYPE_PTR        'p' /* continue reading at [REC_TYPE_PTR_FORMAT] */
#define REC_TYPE_VERP       'V' /* VERP delimiters, two characters */
#define REC_TYPE_DSN_RET    '<' /* DSN RET [REC_DSN_RET_*, decimal] */
#define REC_TYPE_DSN_ENVID  'i' /* DSN ENVID */
#define REC_TYPE_DSN_ORCPT  'o' /* DSN ORCPT of the next recipient */
#define REC_TYPE_DSN_NOTIFY 'n' /* DSN NOTIFY of the next recipient */
                                /* [REC_DSN_NOTIFY_* mask, decimal] */
#define REC_TYPE_MILT_COUNT 'm' /* milter count (cleanup IPC only) */
#define REC_TYPE_END        'E' /* end of the message, required */

/*
 * LETTERS PER SEGMENT. A reader treats any other letter in a segment as
 * corruption. The first letter of each set is the record that ends the
 * segment. 'L' means FILT in the envelope and extracted segments and
 * CONT in the content segment.
 */
#define REC_TYPE_ENVELOPE "MCTcFILSDRO/WVA>K<ion"
#define REC_TYPE_CONTENT  "XLNw"
#define REC_TYPE_EXTRACT  "EDRO/PreAFIL>Kon"

/*
 * "Pure recipient" tails of the envelope and extracted segments (segment
 * terminator included). When the recipients of a segment are followed
 * only by these, the queue manager may start delivery before reading the
 * whole file (large lists); otherwise cleanup sets
 * REC_SIZE_FLAG_MIXED_RCPT_OTHER.
 */
#define REC_TYPE_ENV_RECIPIENT "MDRO/Kon"
#define REC_TYPE_EXT_RECIPIENT "EDRO/Kon"

/*
 * What postdrop and pickup accept from (untrusted) local users; every
 * other letter makes the submission invalid.
 */
#define REC_TYPE_POST_ENVELOPE "MCFSRVAin"
#define REC_TYPE_POST_CONTENT  "XLN"
#define REC_TYPE_POST_EXTRACT  "EAR"

/*
 * SIZE RECORD 'C'. The first record. Six decimal fields, each
 * right-aligned in 15 columns and separated by one space, so the record
 * has a constant length and cleanup can write zeros first and the real
 * values last, in place:
 *
 *	1 content size: offset of X minus data offset (record headers
 *	  included: a 2-byte record header stands in for a CRLF)
 *	2 data offset: file offset just after the M record
 *	3 recipient count (exact for a fresh file, an upper bound later)
 *	4 queue manager flags: REC_SIZE_FLAG_*, DSN NOTIFY bits << 1
 *	5 content length (the size= of logs and queue listings)
 *	6 sendopts (SMTPUTF8 and REQUIRETLS requests)
 *
 * Readers: three or more fields = modern file; exactly one = a pre-1.0
 * file; a data offset or size <= 0 or unknown flag bits = corrupt.
 */
#define REC_TYPE_SIZE_FORMAT "%15ld %15ld %15ld %15ld %15ld %15ld"
#define REC_TYPE_SIZE_FIELDS 6
#define REC_TYPE_SIZE_WIDTH  15
#define REC_TYPE_SIZE_LEN                                                      \
    (REC_TYPE_SIZE_FIELDS * (REC_TYPE_SIZE_WIDTH + 1) - 1) /* 95 */

#define REC_SIZE_FLAG_MIXED_RCPT_OTHER 1 /* recipients mixed with other */
#define REC_SIZE_FLAG_NOTIFY_SHIFT     1 /* DSN notify bits start here */

/*
 * WARN RECORD 'W'. The time (seconds since the epoch) to send the next
 * "delayed mail" warning, fixed width so that the queue manager can
 * rewrite it in place; after the warning is sent it becomes -1.
 */
#define REC_TYPE_WARN_FORMAT "%15ld"
#define REC_TYPE_WARN_LEN    15
#define REC_TYPE_WARN_SENT   (-1L)

/*
 * POINTER RECORD 'p'. A file offset where reading continues. cleanup
 * leaves dummy pointers (offset 0) after the last envelope recipient,
 * after the headers and after the body; to edit the file before it is
 * committed it writes new records after E and rewrites a dummy to point
 * there, with a pointer back at the end of the new records. Readers
 * follow pointers, skip dummies, and give up after REC_JUMP_LIMIT
 * backward jumps in one file (a loop).
 */
#define REC_TYPE_PTR_FORMAT "%15ld"
#define REC_TYPE_PTR_LEN    15 /* payload only */
#define REC_TYPE_PTR_DUMMY  0L
#define REC_JUMP_LIMIT      10000

/* TIME RECORD 'T': arrival seconds and microseconds. */
#define REC_TYPE_TIME_FORMAT "%ld %ld"

/*
 * DSN VALUES, as decimal text in 'n' / 'A notify_flags=' (a mask) and
 * '<' / 'A ret_flags=' (one value).
 */
#define REC_DSN_NOTIFY_NEVER   1
#define REC_DSN_NOTIFY_SUCCESS 2
#define REC_DSN_NOTIFY_FAILURE 4
#define REC_DSN_NOTIFY_DELAY   8
#define REC_DSN_NOTIFY_ANY                                                     \
    (REC_DSN_NOTIFY_SUCCESS | REC_DSN_NOTIFY_FAILURE | REC_DSN_NOTIFY_DELAY)
#define REC_DSN_RET_FULL 1
#define REC_DSN_RET_HDRS 2

/*
 * ATTRIBUTES THAT STAND FOR PSEUDO TYPES. The DSN and create-time data
 * are written as 'A' records with these names rather than with their own
 * letters, so that older readers skip them; readers map them back
 * (rec_attr_map() in record.c).
 */
#define REC_ATTR_CTIME      "create_time"   /* -> REC_TYPE_CTIME 'c' */
#define REC_ATTR_DSN_ORCPT  "dsn_orig_rcpt" /* -> REC_TYPE_DSN_ORCPT 'o' */
#define REC_ATTR_DSN_NOTIFY "notify_flags"  /* -> REC_TYPE_DSN_NOTIFY 'n' */
#define REC_ATTR_DSN_ENVID  "envelope_id"   /* -> REC_TYPE_DSN_ENVID 'i' */
#define REC_ATTR_DSN_RET    "ret_flags"     /* -> REC_TYPE_DSN_RET '<' */
#define REC_ATTR_SEPARATOR  '='

const char *rec_type_name(int type);

#endif
