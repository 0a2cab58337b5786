"""The run model: pure Python shared by the constructs, the commands and every Lambda.

What a run or batch is (fields, rules, settings as the template holds them), how a request is named
(``fingerprint``: the ``requestId``), sample sheets (``samples``), reasons and the HealthOmics service model
that ships with it (``models/``). No aws-cdk-lib, no boto3, no calls to AWS: ``tests/test_layout.py`` checks it.
"""
