"use strict";
/**
 * Stands in for @aws-sdk/client-lambda as far as the framework's outbound.js uses it.
 * Lambda.invoke POSTs the payload to the test's bridge at the path of Lambda's Invoke API; the bridge
 * runs the Python handler and answers as Invoke does: the function's result, or its error document
 * with an X-Amz-Function-Error header. A failed call (unknown function) rejects, as the SDK does.
 */
class Lambda {
  constructor(config) {
    this.config = config;
  }

  async invoke({ FunctionName, Payload }) {
    const url = `${process.env.LAMBDA_ENDPOINT}/2015-03-31/functions/${encodeURIComponent(FunctionName)}/invocations`;
    const response = await fetch(url, { method: "POST", body: Payload });
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) {
      const error = new Error(new TextDecoder().decode(body));
      error.name = response.headers.get("x-amzn-errortype") ?? "ServiceException";
      throw error;
    }
    return { StatusCode: response.status, ExecutedVersion: "$LATEST", Payload: body,
             FunctionError: response.headers.get("x-amz-function-error") ?? undefined };
  }
}

/** outbound.js waits for the function to be active only after invoke threw; the bridge's functions always are. */
async function waitUntilFunctionActiveV2() {
  return { state: "SUCCESS" };
}

module.exports = { Lambda, waitUntilFunctionActiveV2 };
