// fabric-contract-api logs every decorator at info level; keep unit test output readable.
process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'error';
