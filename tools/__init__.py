"""Developer tools: not shipped to Lambda (the Makefile packages shared, functions, schedules, admin_sheets)."""
