"""The platform core: configuration, database, identity, policy, audit, events, jobs, calendar,
standard codes and errors. The core knows no engine."""
