"""The kernel: what every domain stands on (settings, database, errors, jobs, realtime, access control, web kit,
i18n, shared helpers). It imports no domain; the import-linter layers contract checks it."""
