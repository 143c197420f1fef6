"""The real gspread client against a fake Google Sheets API over HTTP."""
