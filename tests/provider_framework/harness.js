"use strict";
/**
 * Runs the CDK Provider framework's runtime (framework.js of the provider asset aws-cdk-lib synthesizes)
 * for one CloudFormation request, read as JSON from stdin, the way Lambda and the waiter state machine
 * run it in AWS. Only the two AWS SDK clients that outbound.js requires are replaced (aws_sdk_stubs/);
 * every other line that runs is the framework's own.
 *
 * argv: <framework dir> <result file>  (the driver copies this file and aws_sdk_stubs/ there too)
 * env:  LAMBDA_ENDPOINT      the test's bridge to the Python handler (see lambda_bridge.py)
 *       RESPONSE_PORT        the test's HTTPS listener behind the ResponseURL (see response_url.py)
 *       NODE_EXTRA_CA_CERTS  its self-signed certificate, so Node trusts it
 *       WAITER_MAX_ATTEMPTS  the waiter state machine's Retry MaxAttempts (from the synthesized template)
 *       and the framework's own USER_ON_EVENT_FUNCTION_ARN, USER_IS_COMPLETE_FUNCTION_ARN,
 *       WAITER_STATE_MACHINE_ARN (consts.js).
 * The result file receives what the waiter did: {waiterStarted, waiterInputBytes, isCompleteAttempts,
 * timedOut, causeChars}.
 */
const fs = require("fs");
const https = require("https");
const Module = require("module");
const path = require("path");

const STUBS = {
  "@aws-sdk/client-lambda": path.join(__dirname, "aws_sdk_stubs", "client-lambda.js"),
  "@aws-sdk/client-sfn": path.join(__dirname, "aws_sdk_stubs", "client-sfn.js"),
};
// In Lambda the Node.js runtime provides the SDK; here those two package names resolve to the stubs.
// (A node_modules folder would do the same through NODE_PATH, but the repository ignores node_modules/.)
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, STUBS[request] ?? request, ...rest);
};

// cfn-response.js PUTs to the ResponseURL's hostname and path without a port, i.e. to 443 (S3's);
// the default port of https.globalAgent is where that request goes.
https.globalAgent.defaultPort = Number(process.env.RESPONSE_PORT);

/**
 * The waiter state machine the framework synthesizes: the isComplete task, retried on States.ALL up to
 * MaxAttempts times (intervals not slept), then caught into onTimeout, whose input carries the last
 * error as Lambda reports it to Step Functions (Cause: {errorType, errorMessage, trace}).
 */
async function waiter(framework, input, maxAttempts, result) {
  let lastError;
  for (let attempt = 0; attempt <= maxAttempts; attempt++) {
    result.isCompleteAttempts++;
    try {
      await framework.isComplete(JSON.parse(input));
      return;
    } catch (error) {
      lastError = error;
    }
  }
  const cause = JSON.stringify({ errorType: lastError.name, errorMessage: lastError.message,
                                 trace: String(lastError.stack).split("\n") });
  Object.assign(result, { timedOut: true, causeChars: cause.length });
  await framework.onTimeout({ Error: lastError.name, Cause: cause });
}

async function main() {
  const [frameworkDir, resultFile] = process.argv.slice(2);
  const framework = require(path.join(frameworkDir, "framework.js"));
  const sfn = require("@aws-sdk/client-sfn");
  const request = JSON.parse(fs.readFileSync(0, "utf8"));
  const result = { waiterStarted: false, isCompleteAttempts: 0, timedOut: false };
  await framework.onEvent(request);
  const execution = sfn.executions.shift();
  if (execution) {
    Object.assign(result, { waiterStarted: true, waiterInputBytes: Buffer.byteLength(execution.input) });
    await waiter(framework, execution.input, Number(process.env.WAITER_MAX_ATTEMPTS), result);
  }
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
