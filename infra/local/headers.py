"""Headers the local API adds to every answer, for a second terminal's commands (never in AWS)."""

CLOCK_HEADER = "X-Closeloop-Clock"  # the time it judges signatures by: `closeloop send` signs with it
TIMEZONE_HEADER = "X-Closeloop-Timezone"  # Settings `timezone`: lists show local times without loading rules
NOW_HEADER = "X-Closeloop-Now"  # its business clock (CLOSELOOP_CLOCK_START): the CLI's commands run on it too
