/*
 * param_table - every main.cf parameter Postern knows, with its default
 *
 * One entry per parameter: name, type, default (the text "postern conf
 * -d" prints), the unit of a bare time number, bounds and flags. The
 * table is in strcmp() order of the names (a unit test checks it) so that
 * lookups are a binary search and "postern conf -d" walks it in order.
 * Add a parameter here, never in a daemon: there is one table.
 *
 * Defaults are Postfix 3.7's, as its documentation and "postconf -d"
 * give them, except where Postern is not Postfix:
 *	syslog_name = postern (Postfix: postfix, or $multi_instance_name);
 *	mail_name = Postern; mail_owner = postern;
 *	the directories follow configure's paths: config_directory =
 *	$sysconfdir/postern, daemon_directory = $libexecdir/postern,
 *	command_directory = $sbindir, queue_directory =
 *	$localstatedir/spool/postern, data_directory =
 *	$localstatedir/lib/postern (with --prefix=/usr --sysconfdir=/etc
 *	--localstatedir=/var: /etc/postern, /usr/libexec/postern, /usr/sbin,
 *	/var/spool/postern, /var/lib/postern);
 *	compatibility_level = 3.6, and the defaults that Postfix computes
 *	from it are the ones of that level: append_dot_mydomain = no,
 *	relay_domains = (empty). Postern has no legacy behaviour to keep, so
 *	compatibility_level does not change anything else.
 * Dynamic defaults (PARAM_F_DYNAMIC), computed when asked for:
 *	myhostname: the host name; ".localdomain" is appended when it has no
 *	dot; mydomain: what follows the first dot of $myhostname, else
 *	"localdomain" (Postfix 3.7 does the same); process_id: getpid();
 *	process_name: the program name given to msg_open().
 * Read-only (PARAM_F_READONLY: main.cf cannot set them, the program
 * does): process_id, process_name, service_name.
 *
 * Per-transport families: <transport><suffix> (smtp_recipient_limit)
 * falls back to a table parameter (default_recipient_limit) whose type,
 * unit and bounds apply. The seeds' "transport_X" parameters are these.
 *
 * Public functions:
 *	param_table_lookup(name)	the entry, or NULL
 *	param_table_size(), param_table_at(i)	walk the table in name order
 *	param_family_lookup(suffix)	the family of "_recipient_limit"
 *	param_family_match(name, &len)	family whose suffix ends name (the
 *					longest), len = transport name length
 *	param_family_size(), param_family_at(i)
 *	param_dynamic_default(conf, def, out)	a dynamic default's value
 *	param_type_name(type)		"string", "int", ...
 *
 * Diagnostics: none. Configuration parameters: all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "msg.h"
#include "param.h"

#include "paths.h"

/* name, type, default, time unit, min, max (0: none), flags */
static const struct param_def param_table[] = {
    {"2bounce_notice_recipient", PARAM_TYPE_STR, "postmaster", 0, 0, 0, 0},
    {"address_verify_default_transport", PARAM_TYPE_STR, "$default_transport",
     0, 0, 0, 0},
    {"address_verify_local_transport", PARAM_TYPE_STR, "$local_transport", 0, 0,
     0, 0},
    {"address_verify_pending_request_limit", PARAM_TYPE_INT, "5000", 0, 1, 0,
     0},
    {"address_verify_relay_transport", PARAM_TYPE_STR, "$relay_transport", 0, 0,
     0, 0},
    {"address_verify_relayhost", PARAM_TYPE_STR, "$relayhost", 0, 0, 0, 0},
    {"address_verify_sender_dependent_default_transport_maps", PARAM_TYPE_LIST,
     "$sender_dependent_default_transport_maps", 0, 0, 0, 0},
    {"address_verify_sender_dependent_relayhost_maps", PARAM_TYPE_LIST,
     "$sender_dependent_relayhost_maps", 0, 0, 0, 0},
    {"address_verify_service_name", PARAM_TYPE_STR, "verify", 0, 0, 0, 0},
    {"address_verify_transport_maps", PARAM_TYPE_LIST, "$transport_maps", 0, 0,
     0, 0},
    {"address_verify_virtual_transport", PARAM_TYPE_STR, "$virtual_transport",
     0, 0, 0, 0},
    {"allow_min_user", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"allow_percent_hack", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"alternate_config_directories", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"always_add_missing_headers", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"append_at_myorigin", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"append_dot_mydomain", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"backwards_bounce_logfile_compatibility", PARAM_TYPE_BOOL, "yes", 0, 0, 0,
     0},
    {"bounce_notice_recipient", PARAM_TYPE_STR, "postmaster", 0, 0, 0, 0},
    {"bounce_queue_lifetime", PARAM_TYPE_TIME, "5d", 'd', 0, 0, 0},
    {"bounce_service_name", PARAM_TYPE_STR, "bounce", 0, 0, 0, 0},
    {"bounce_size_limit", PARAM_TYPE_INT, "50000", 0, 1, 0, 0},
    {"bounce_template_file", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"cleanup_service_name", PARAM_TYPE_STR, "cleanup", 0, 0, 0, 0},
    {"command_directory", PARAM_TYPE_STR, POSTERN_SBINDIR, 0, 0, 0, 0},
    {"command_time_limit", PARAM_TYPE_TIME, "1000s", 's', 1, 0, 0},
    {"compatibility_level", PARAM_TYPE_STR, "3.6", 0, 0, 0, 0},
    {"config_directory", PARAM_TYPE_STR, POSTERN_SYSCONFDIR, 0, 0, 0, 0},
    {"confirm_delay_cleared", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"content_filter", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"daemon_directory", PARAM_TYPE_STR, POSTERN_LIBEXECDIR, 0, 0, 0, 0},
    {"daemon_timeout", PARAM_TYPE_TIME, "18000s", 's', 1, 0, 0},
    {"data_directory", PARAM_TYPE_STR, POSTERN_LOCALSTATEDIR "/lib/postern", 0,
     0, 0, 0},
    {"debug_peer_level", PARAM_TYPE_INT, "2", 0, 1, 0, 0},
    {"debug_peer_list", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"default_delivery_slot_cost", PARAM_TYPE_INT, "5", 0, 0, 0, 0},
    {"default_delivery_slot_discount", PARAM_TYPE_INT, "50", 0, 0, 100, 0},
    {"default_delivery_slot_loan", PARAM_TYPE_INT, "3", 0, 0, 0, 0},
    {"default_destination_concurrency_failed_cohort_limit", PARAM_TYPE_INT, "1",
     0, 0, 0, 0},
    {"default_destination_concurrency_limit", PARAM_TYPE_INT, "20", 0, 0, 0, 0},
    {"default_destination_concurrency_negative_feedback", PARAM_TYPE_STR, "1",
     0, 0, 0, 0},
    {"default_destination_concurrency_positive_feedback", PARAM_TYPE_STR, "1",
     0, 0, 0, 0},
    {"default_destination_rate_delay", PARAM_TYPE_TIME, "0s", 's', 0, 0, 0},
    {"default_destination_recipient_limit", PARAM_TYPE_INT, "50", 0, 0, 0, 0},
    {"default_extra_recipient_limit", PARAM_TYPE_INT, "1000", 0, 1, 0, 0},
    {"default_filter_nexthop", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"default_minimum_delivery_slots", PARAM_TYPE_INT, "3", 0, 0, 0, 0},
    {"default_privs", PARAM_TYPE_STR, "nobody", 0, 0, 0, 0},
    {"default_process_limit", PARAM_TYPE_INT, "100", 0, 1, 0, 0},
    {"default_recipient_limit", PARAM_TYPE_INT, "20000", 0, 1, 0, 0},
    {"default_recipient_refill_delay", PARAM_TYPE_TIME, "5s", 's', 1, 0, 0},
    {"default_recipient_refill_limit", PARAM_TYPE_INT, "100", 0, 1, 0, 0},
    {"default_transport", PARAM_TYPE_STR, "smtp", 0, 0, 0, 0},
    {"default_transport_rate_delay", PARAM_TYPE_TIME, "0s", 's', 0, 0, 0},
    {"default_verp_delimiters", PARAM_TYPE_STR, "+=", 0, 0, 0, 0},
    {"defer_service_name", PARAM_TYPE_STR, "defer", 0, 0, 0, 0},
    {"defer_transports", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"delay_logging_resolution_limit", PARAM_TYPE_INT, "2", 0, 0, 6, 0},
    {"delay_notice_recipient", PARAM_TYPE_STR, "postmaster", 0, 0, 0, 0},
    {"delay_warning_time", PARAM_TYPE_TIME, "0h", 'h', 0, 0, 0},
    {"deliver_lock_attempts", PARAM_TYPE_INT, "20", 0, 1, 0, 0},
    {"deliver_lock_delay", PARAM_TYPE_TIME, "1s", 's', 1, 0, 0},
    {"destination_concurrency_feedback_debug", PARAM_TYPE_BOOL, "no", 0, 0, 0,
     0},
    {"double_bounce_sender", PARAM_TYPE_STR, "double-bounce", 0, 0, 0, 0},
    {"duplicate_filter_limit", PARAM_TYPE_INT, "1000", 0, 0, 0, 0},
    {"empty_address_default_transport_maps_lookup_key", PARAM_TYPE_STR, "<>", 0,
     0, 0, 0},
    {"empty_address_recipient", PARAM_TYPE_STR, "MAILER-DAEMON", 0, 0, 0, 0},
    {"empty_address_relayhost_maps_lookup_key", PARAM_TYPE_STR, "<>", 0, 0, 0,
     0},
    {"enable_long_queue_ids", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"enable_original_recipient", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"error_notice_recipient", PARAM_TYPE_STR, "postmaster", 0, 0, 0, 0},
    {"error_service_name", PARAM_TYPE_STR, "error", 0, 0, 0, 0},
    {"export_environment", PARAM_TYPE_LIST, "TZ MAIL_CONFIG LANG", 0, 0, 0, 0},
    {"flush_service_name", PARAM_TYPE_STR, "flush", 0, 0, 0, 0},
    {"fork_attempts", PARAM_TYPE_INT, "5", 0, 1, 0, 0},
    {"fork_delay", PARAM_TYPE_TIME, "1s", 's', 1, 0, 0},
    {"hash_queue_depth", PARAM_TYPE_INT, "1", 0, 1, 0, 0},
    {"hash_queue_names", PARAM_TYPE_LIST, "deferred, defer", 0, 0, 0, 0},
    {"header_address_token_limit", PARAM_TYPE_INT, "10240", 0, 1, 0, 0},
    {"header_size_limit", PARAM_TYPE_INT, "102400", 0, 1, 0, 0},
    {"helpful_warnings", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"hopcount_limit", PARAM_TYPE_INT, "50", 0, 1, 0, 0},
    {"import_environment", PARAM_TYPE_LIST,
     "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ XAUTHORITY DISPLAY LANG=C "
     "POSTLOG_SERVICE POSTLOG_HOSTNAME",
     0, 0, 0, 0},
    {"in_flow_delay", PARAM_TYPE_TIME, "1s", 's', 0, 10, 0},
    {"inet_interfaces", PARAM_TYPE_LIST, "all", 0, 0, 0, 0},
    {"inet_protocols", PARAM_TYPE_LIST, "all", 0, 0, 0, 0},
    {"info_log_address_format", PARAM_TYPE_STR, "external", 0, 0, 0, 0},
    {"initial_destination_concurrency", PARAM_TYPE_INT, "5", 0, 1, 0, 0},
    {"ipc_timeout", PARAM_TYPE_TIME, "3600s", 's', 1, 0, 0},
    {"line_length_limit", PARAM_TYPE_INT, "2048", 0, 1, 0, 0},
    {"local_destination_concurrency_limit", PARAM_TYPE_INT, "2", 0, 0, 0, 0},
    {"local_destination_recipient_limit", PARAM_TYPE_INT, "1", 0, 0, 0, 0},
    {"local_transport", PARAM_TYPE_STR, "local:$myhostname", 0, 0, 0, 0},
    {"mail_name", PARAM_TYPE_STR, "Postern", 0, 0, 0, 0},
    {"mail_owner", PARAM_TYPE_STR, "postern", 0, 0, 0, 0},
    {"mail_spool_directory", PARAM_TYPE_STR, "/var/mail", 0, 0, 0, 0},
    {"mailbox_size_limit", PARAM_TYPE_SIZE, "51200000", 0, 0, 0, 0},
    {"maillog_file", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"mailq_path", PARAM_TYPE_STR, "/usr/bin/mailq", 0, 0, 0, 0},
    {"max_idle", PARAM_TYPE_TIME, "100s", 's', 1, 0, 0},
    {"max_use", PARAM_TYPE_INT, "100", 0, 0, 0, 0},
    {"maximal_backoff_time", PARAM_TYPE_TIME, "4000s", 's', 1, 0, 0},
    {"maximal_queue_lifetime", PARAM_TYPE_TIME, "5d", 'd', 0, 0, 0},
    {"message_size_limit", PARAM_TYPE_SIZE, "10240000", 0, 0, 0, 0},
    {"minimal_backoff_time", PARAM_TYPE_TIME, "300s", 's', 1, 0, 0},
    {"multi_instance_directories", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"multi_instance_name", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"mydestination", PARAM_TYPE_LIST,
     "$myhostname, localhost.$mydomain, localhost", 0, 0, 0, 0},
    {"mydomain", PARAM_TYPE_STR, "", 0, 0, 0, PARAM_F_DYNAMIC},
    {"myhostname", PARAM_TYPE_STR, "", 0, 0, 0, PARAM_F_DYNAMIC},
    {"myorigin", PARAM_TYPE_STR, "$myhostname", 0, 0, 0, 0},
    {"newaliases_path", PARAM_TYPE_STR, "/usr/bin/newaliases", 0, 0, 0, 0},
    {"notify_classes", PARAM_TYPE_LIST, "resource, software", 0, 0, 0, 0},
    {"parent_domain_matches_subdomains", PARAM_TYPE_LIST,
     "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,"
     "qmqpd_authorized_clients,relay_domains,smtpd_access_maps",
     0, 0, 0, 0},
    {"pickup_service_name", PARAM_TYPE_STR, "pickup", 0, 0, 0, 0},
    {"process_id", PARAM_TYPE_STR, "", 0, 0, 0,
     PARAM_F_READONLY | PARAM_F_DYNAMIC},
    {"process_id_directory", PARAM_TYPE_STR, "pid", 0, 0, 0, 0},
    {"process_name", PARAM_TYPE_STR, "", 0, 0, 0,
     PARAM_F_READONLY | PARAM_F_DYNAMIC},
    {"proxy_interfaces", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"qmgr_clog_warn_time", PARAM_TYPE_TIME, "300s", 's', 0, 0, 0},
    {"qmgr_daemon_timeout", PARAM_TYPE_TIME, "1000s", 's', 1, 0, 0},
    {"qmgr_fudge_factor", PARAM_TYPE_INT, "100", 0, 10, 100, 0},
    {"qmgr_ipc_timeout", PARAM_TYPE_TIME, "60s", 's', 1, 0, 0},
    {"qmgr_message_active_limit", PARAM_TYPE_INT, "20000", 0, 1, 0, 0},
    {"qmgr_message_recipient_limit", PARAM_TYPE_INT, "20000", 0, 1, 0, 0},
    {"qmgr_message_recipient_minimum", PARAM_TYPE_INT, "10", 0, 1, 0, 0},
    {"qmqpd_authorized_clients", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"qmqpd_client_port_logging", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"qmqpd_error_delay", PARAM_TYPE_TIME, "1s", 's', 0, 0, 0},
    {"qmqpd_timeout", PARAM_TYPE_TIME, "300s", 's', 1, 0, 0},
    {"queue_directory", PARAM_TYPE_STR, POSTERN_LOCALSTATEDIR "/spool/postern",
     0, 0, 0, 0},
    {"queue_file_attribute_count_limit", PARAM_TYPE_INT, "100", 0, 1, 0, 0},
    {"queue_minfree", PARAM_TYPE_SIZE, "0", 0, 0, 0, 0},
    {"queue_run_delay", PARAM_TYPE_TIME, "300s", 's', 1, 0, 0},
    {"queue_service_name", PARAM_TYPE_STR, "qmgr", 0, 0, 0, 0},
    {"receive_override_options", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"recipient_delimiter", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"relay_domains", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"relay_transport", PARAM_TYPE_STR, "relay", 0, 0, 0, 0},
    {"relayhost", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"relocated_maps", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"remote_header_rewrite_domain", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"resolve_dequoted_address", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"resolve_null_domain", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"resolve_numeric_domain", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"rewrite_service_name", PARAM_TYPE_STR, "rewrite", 0, 0, 0, 0},
    {"sender_dependent_default_transport_maps", PARAM_TYPE_LIST, "", 0, 0, 0,
     0},
    {"sender_dependent_relayhost_maps", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"sendmail_fix_line_endings", PARAM_TYPE_STR, "always", 0, 0, 0, 0},
    {"sendmail_path", PARAM_TYPE_STR, "/usr/sbin/sendmail", 0, 0, 0, 0},
    {"service_name", PARAM_TYPE_STR, "", 0, 0, 0, PARAM_F_READONLY},
    {"service_throttle_time", PARAM_TYPE_TIME, "60s", 's', 1, 0, 0},
    {"setgid_group", PARAM_TYPE_STR, "postdrop", 0, 0, 0, 0},
    {"show_user_unknown_table_name", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"showq_service_name", PARAM_TYPE_STR, "showq", 0, 0, 0, 0},
    {"smtputf8_autodetect_classes", PARAM_TYPE_LIST, "sendmail, verify", 0, 0,
     0, 0},
    {"smtputf8_enable", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"soft_bounce", PARAM_TYPE_BOOL, "no", 0, 0, 0, 0},
    {"stress", PARAM_TYPE_STR, "", 0, 0, 0, 0},
    {"swap_bangpath", PARAM_TYPE_BOOL, "yes", 0, 0, 0, 0},
    {"syslog_facility", PARAM_TYPE_STR, "mail", 0, 0, 0, 0},
    {"syslog_name", PARAM_TYPE_STR, "postern", 0, 0, 0, 0},
    {"trace_service_name", PARAM_TYPE_STR, "trace", 0, 0, 0, 0},
    {"transport_maps", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"transport_retry_time", PARAM_TYPE_TIME, "60s", 's', 1, 0, 0},
    {"trigger_timeout", PARAM_TYPE_TIME, "10s", 's', 1, 0, 0},
    {"verp_delimiter_filter", PARAM_TYPE_STR, "-=+", 0, 0, 0, 0},
    {"virtual_alias_domains", PARAM_TYPE_LIST, "$virtual_alias_maps", 0, 0, 0,
     0},
    {"virtual_alias_maps", PARAM_TYPE_LIST, "$virtual_maps", 0, 0, 0, 0},
    {"virtual_mailbox_domains", PARAM_TYPE_LIST, "$virtual_mailbox_maps", 0, 0,
     0, 0},
    {"virtual_mailbox_maps", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"virtual_maps", PARAM_TYPE_LIST, "", 0, 0, 0, 0},
    {"virtual_transport", PARAM_TYPE_STR, "virtual", 0, 0, 0, 0},
};

#define PARAM_TABLE_SIZE (sizeof(param_table) / sizeof(param_table[0]))

/* Keep in step with the seeds' "transport_X" parameters (qmgr(8)). */
static const struct param_family param_families[] = {
    {"_delivery_slot_cost", "default_delivery_slot_cost"},
    {"_delivery_slot_discount", "default_delivery_slot_discount"},
    {"_delivery_slot_loan", "default_delivery_slot_loan"},
    {"_destination_concurrency_failed_cohort_limit",
     "default_destination_concurrency_failed_cohort_limit"},
    {"_destination_concurrency_limit", "default_destination_concurrency_limit"},
    {"_destination_concurrency_negative_feedback",
     "default_destination_concurrency_negative_feedback"},
    {"_destination_concurrency_positive_feedback",
     "default_destination_concurrency_positive_feedback"},
    {"_destination_rate_delay", "default_destination_rate_delay"},
    {"_destination_recipient_limit", "default_destination_recipient_limit"},
    {"_extra_recipient_limit", "default_extra_recipient_limit"},
    {"_initial_destination_concurrency", "initial_destination_concurrency"},
    {"_minimum_delivery_slots", "default_minimum_delivery_slots"},
    {"_recipient_limit", "default_recipient_limit"},
    {"_recipient_refill_delay", "default_recipient_refill_delay"},
    {"_recipient_refill_limit", "default_recipient_refill_limit"},
    {"_time_limit", "command_time_limit"},
    {"_transport_rate_delay", "default_transport_rate_delay"},
};

#define PARAM_FAMILY_SIZE (sizeof(param_families) / sizeof(param_families[0]))

static int param_def_cmp(const void *key, const void *entry)
{
    return strcmp(key, ((const struct param_def *)entry)->name);
}

const struct param_def *param_table_lookup(const char *name)
{
    return bsearch(name, param_table, PARAM_TABLE_SIZE, sizeof(param_table[0]),
                   param_def_cmp);
}

size_t param_table_size(void)
{
    return PARAM_TABLE_SIZE;
}

const struct param_def *param_table_at(size_t index)
{
    return index < PARAM_TABLE_SIZE ? param_table + index : NULL;
}

const struct param_family *param_family_lookup(const char *suffix)
{
    for (size_t i = 0; i < PARAM_FAMILY_SIZE; i++)
        if (strcmp(param_families[i].suffix, suffix) == 0)
            return param_families + i;
    return NULL;
}

const struct param_family *param_family_match(const char *name,
                                              size_t *transport_len)
{
    const struct param_family *best = NULL;
    size_t len = strlen(name);
    size_t best_len = 0;

    /* "_destination_recipient_limit" must win over "_recipient_limit". */
    for (size_t i = 0; i < PARAM_FAMILY_SIZE; i++) {
        size_t slen = strlen(param_families[i].suffix);

        if (slen < len && slen > best_len &&
            strcmp(name + len - slen, param_families[i].suffix) == 0 &&
            conf_name_valid(name, len - slen)) {
            best = param_families + i;
            best_len = slen;
        }
    }
    if (best && transport_len)
        *transport_len = len - best_len;
    return best;
}

size_t param_family_size(void)
{
    return PARAM_FAMILY_SIZE;
}

const struct param_family *param_family_at(size_t index)
{
    return index < PARAM_FAMILY_SIZE ? param_families + index : NULL;
}

void param_dynamic_default(struct conf *conf, const struct param_def *def,
                           struct buf *out)
{
    char host[256];

    buf_reset(out);
    if (strcmp(def->name, "myhostname") == 0) {
        if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = 0;
        buf_set_str(out, host);
        /* Mail needs a domain name; a bare host name is not one. */
        if (strchr(host, '.') == NULL)
            buf_append_str(out, ".localdomain");
    } else if (strcmp(def->name, "mydomain") == 0) {
        struct buf *name = buf_alloc(64);
        const char *dot;

        if (conf_expand(conf, "$myhostname", name, NULL) >= 0 &&
            (dot = strchr(buf_str(name), '.')) != NULL)
            buf_set_str(out, dot + 1);
        else
            buf_set_str(out, "localdomain");
        buf_free(name);
    } else if (strcmp(def->name, "process_id") == 0) {
        buf_printf(out, "%ld", (long)getpid());
    } else if (strcmp(def->name, "process_name") == 0) {
        buf_set_str(out, msg_program());
    } else {
        buf_set_str(out, def->defval);
    }
}

const char *param_type_name(enum param_type type)
{
    switch (type) {
    case PARAM_TYPE_STR:
        return "string";
    case PARAM_TYPE_INT:
        return "int";
    case PARAM_TYPE_LONG:
        return "long";
    case PARAM_TYPE_BOOL:
        return "bool";
    case PARAM_TYPE_TIME:
        return "time";
    case PARAM_TYPE_SIZE:
        return "size";
    case PARAM_TYPE_LIST:
        return "list";
    }
    return "unknown";
}
