'use strict';
/**
 * Preloaded into each org's chaincode server (`node --require`, set through
 * NODE_OPTIONS by scripts/network.sh and docker-compose.yml). fabric-shim logs
 * through winston, which formats every message (timestamp, metadata, colours)
 * before its transport drops the ones below the level, and the shim writes a
 * debug message for every message it exchanges with the peer. Measured on the benchmark network,
 * that formatting was a fifth of a chaincode server's CPU under load. This
 * wraps each level method of every shim logger so that a message below the
 * logger's current level (CORE_CHAINCODE_LOGGING_LEVEL, WARNING by default in
 * scripts/network.sh) returns before winston sees it. It changes nothing a
 * transaction computes, only what the server prints.
 */
const shimLogger = require('fabric-shim/lib/logger');

const createLogger = shimLogger.getLogger;

shimLogger.getLogger = (name) => {
  const logger = createLogger(name);
  for (const level of Object.keys(logger.levels)) {
    const write = logger[level];
    if (typeof write === 'function' && write.quiet !== true) {
      const quiet = (...args) => (logger.isLevelEnabled(level) ? write.apply(logger, args) : logger);
      quiet.quiet = true;
      logger[level] = quiet;
    }
  }
  return logger;
};
