"""The operator web console (issue 14): `casebot web`."""
