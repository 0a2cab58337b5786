"""The CDK Provider framework's own JavaScript, run in the tests as in AWS, with only the AWS SDK
clients replaced.

aws-cdk-lib's ``custom_resources.Provider`` answers CloudFormation from JavaScript in its provider asset
(framework.js, cfn-response.js, outbound.js, consts.js, util.js). Here that code runs under the
repository's pinned Node 22 (``harness.js``); ``@aws-sdk/client-lambda`` and ``@aws-sdk/client-sfn``
resolve to stubs (``aws_sdk_stubs/``): Lambda invocations reach the Python handler in the pytest
process (``lambda_bridge``), the waiter state machine is a loop in the harness, and the ResponseURL is
an HTTPS listener on 127.0.0.1 (``response_url``) that keeps exactly what CloudFormation would receive.
"""

from .asset import ProviderAsset, synth_provider_asset
from .driver import HarnessError, ProviderFramework, Response
from .lambda_bridge import Invocation

__all__ = ["HarnessError", "Invocation", "ProviderAsset", "ProviderFramework", "Response", "synth_provider_asset"]
