/* The scalar groups of smsaObjects: smsaAppliance (this appliance and the agent),
 * smsaNotify (the notification counters) and smsaNtp's scalars (NTP checks on, the verdict on
 * this host's clock). */
#include "loop.h"
#include "snmp_rows.h"

static bool value_appliance(const struct smsa_model *m, unsigned n, const struct row *r,
                            netsnmp_variable_list *vb)
{
    switch (n) {
    case SMSA_APPLIANCE_NAME:
        set_string(vb, m->cfg ? m->cfg->name : "");
        return true;
    case SMSA_APPLIANCE_ROLE:
        set_int(vb, ASN_INTEGER, snmpf_mib_role(m->cfg ? m->cfg->role : ROLE_CONTROL_CENTER));
        return true;
    case SMSA_AGENT_VERSION:
        set_string(vb, SMSA_VERSION);
        return true;
    case SMSA_OVERALL_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(m->overall));
        return true;
    case SMSA_AGENT_UP_TIME:
        set_int(vb, ASN_TIMETICKS, (long)snmpf_ticks_since_start(loop_now_us()));
        return true;
    case SMSA_AGENT_PLACEMENT:
        set_int(vb, ASN_INTEGER,
                snmpf_mib_placement(m->cfg ? m->cfg->placement : PLACEMENT_ON_BOX));
        return true;
    case SMSA_AGENT_VANTAGE:
        set_string(vb, core_vantage());
        return true;
    }
    return false;
}

static bool value_notify(const struct smsa_model *m, unsigned n, const struct row *r,
                         netsnmp_variable_list *vb)
{
    struct snmpf_notify_stats st;
    snmpf_notify_get_stats(&st);
    switch (n) {
    case NOTIFY_SENT:
        set_c64(vb, st.sent);
        return true;
    case NOTIFY_SUPPRESSED:
        set_c64(vb, st.suppressed);
        return true;
    case NOTIFY_DROPPED:
        set_c64(vb, st.dropped);
        return true;
    case NOTIFY_QUEUED:
        set_int(vb, ASN_GAUGE, (long)st.queued);
        return true;
    case NOTIFY_RATE_LIMIT:
        set_int(vb, ASN_UNSIGNED, (long)st.rate_limit);
        return true;
    }
    return false;
}

static bool value_ntp_scalar(const struct smsa_model *m, unsigned n, const struct row *r,
                             netsnmp_variable_list *vb)
{
    if (n != NTP_ENABLED)
        return false;
    set_int(vb, ASN_INTEGER, snmpf_mib_truth(m->cfg && m->cfg->ntp_enabled));
    return true;
}

static bool value_clock(const struct smsa_model *m, unsigned n, const struct row *r,
                        netsnmp_variable_list *vb)
{
    switch (n) {
    case NTP_CLOCK_STATUS:
        set_int(vb, ASN_INTEGER, snmpf_mib_state(m->clock.state));
        return true;
    case NTP_CLOCK_OFFSET: /* milliseconds, 0 while no server has answered */
        set_int(vb, ASN_INTEGER, m->clock.has_offset ? clamp32(m->clock.offset_us / 1000) : 0);
        return true;
    }
    return false;
}

static const struct column appliance_cols[] = {
    {SMSA_APPLIANCE_NAME, "smsaApplianceName"}, {SMSA_APPLIANCE_ROLE, "smsaApplianceRole"},
    {SMSA_AGENT_VERSION, "smsaAgentVersion"},   {SMSA_OVERALL_STATUS, "smsaOverallStatus"},
    {SMSA_AGENT_UP_TIME, "smsaAgentUpTime"},    {SMSA_AGENT_PLACEMENT, "smsaAgentPlacement"},
    {SMSA_AGENT_VANTAGE, "smsaAgentVantage"},
};

/* NOTIFY_EVENT_TIME and the rest are accessible-for-notify: never read */
static const struct column notify_cols[] = {
    {NOTIFY_SENT, "smsaNotificationsSent"},
    {NOTIFY_SUPPRESSED, "smsaNotificationsSuppressed"},
    {NOTIFY_DROPPED, "smsaNotificationsDropped"},
    {NOTIFY_QUEUED, "smsaNotificationsQueued"},
    {NOTIFY_RATE_LIMIT, "smsaNotificationRateLimit"},
};

static const struct column ntp_scalar_cols[] = {{NTP_ENABLED, "smsaNtpEnabled"}};

static const struct column clock_cols[] = {{NTP_CLOCK_STATUS, "smsaClockStatus"},
                                           {NTP_CLOCK_OFFSET, "smsaClockOffset"}};

const struct group snmpf_group_appliance = {
    {SMSA_OBJ_APPLIANCE}, 1, COLS(appliance_cols), NULL, value_appliance};
const struct group snmpf_group_notify = {
    {SMSA_OBJ_NOTIFY}, 1, COLS(notify_cols), NULL, value_notify};
const struct group snmpf_group_ntp_scalar = {
    {SMSA_OBJ_NTP}, 1, COLS(ntp_scalar_cols), NULL, value_ntp_scalar};
/* after smsaNtpServerTable, in OID order */
const struct group snmpf_group_clock = {{SMSA_OBJ_NTP}, 1, COLS(clock_cols), NULL, value_clock};
