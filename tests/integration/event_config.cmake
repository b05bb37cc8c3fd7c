# integration.event_config (issue 12): the event configuration does exactly
# what it says: unknown keys, starts without an offset, overlapping wave
# ranges and copied categories refused by the CLI (FILE:LINE) and by the
# server (raw event_create); the event's timezone read and published;
# athletes who fit no category listed at import; officials' clock times
# (--at 9:55) in the event's zone.  A few seconds.
sl_integration_test(event_config TIMEOUT 300)
