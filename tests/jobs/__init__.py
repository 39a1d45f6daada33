"""The job queue on PostgreSQL with real `gateway worker` processes."""
