-- Run once by the mysql image at first start (/docker-entrypoint-initdb.d).
-- The account ddlgate's monitor uses: processlist, InnoDB transactions,
-- performance_schema.metadata_locks, and KILL of idle blockers.
CREATE USER IF NOT EXISTS 'ddlgate_monitor'@'%' IDENTIFIED BY 'monpass';
GRANT PROCESS, CONNECTION_ADMIN ON *.* TO 'ddlgate_monitor'@'%';
GRANT SELECT ON performance_schema.* TO 'ddlgate_monitor'@'%';
