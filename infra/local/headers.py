"""Headers the local API adds to every answer, for a second terminal's commands (never in AWS)."""

CLOCK_HEADER = "X-Closeloop-Clock"  # its clock: `closeloop send` signs with it (CLOCK_START shifts it)
TIMEZONE_HEADER = "X-Closeloop-Timezone"  # Settings `timezone`: lists show local times without loading rules
