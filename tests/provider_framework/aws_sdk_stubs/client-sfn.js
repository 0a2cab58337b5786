"use strict";
/**
 * Stands in for @aws-sdk/client-sfn as far as the framework's outbound.js uses it: SFN.startExecution
 * records the execution; the harness then runs the waiter itself (harness.js).
 */
// StartExecution's input is at most 262,144 bytes of UTF-8 (Step Functions API reference,
// ExecutionStartedEventDetails); the error name below is this stub's choice.
const MAX_INPUT_BYTES = 262144;
const executions = [];

class SFN {
  constructor(config) {
    this.config = config;
  }

  async startExecution({ stateMachineArn, input }) {
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      const error = new Error(`execution input is ${Buffer.byteLength(input)} bytes; at most ${MAX_INPUT_BYTES}`);
      error.name = "ValidationException";
      throw error;
    }
    executions.push({ stateMachineArn, input });
    return { executionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${executions.length}`,
             startDate: new Date() };
  }
}

module.exports = { SFN, executions };
