"""HealthOmics on-demand prices the cost tests compute with: US East (N. Virginia), us-east-1, USD.

Their home is the HealthOmics pricing page (https://aws.amazon.com/healthomics/pricing/), whose price tables the
reference material at hand does not hold. Each figure below is the one that page gives for us-east-1 as quoted, in
agreement, by two independent write-ups (read 2026-12-07):

- "How Task Concurrency Limits Increase Storage Costs in AWS HealthOmics Workflow Runs"
  (https://www.aws-ps-tech.kr/books/omics-on-aws/page/how-task-concurrency-limits-increase-storage-costs-in-aws-
  healthomics-workflow-runs), table "Pricing Rates Used": STATIC Run Storage $0.0001918/GB-hour and DYNAMIC Run
  Storage $0.0004110/GB-hour, "AWS HealthOmics Pricing (us-east-1)"; omics.c.4xlarge $0.9180/hr.
- takech9203/aws-news-summary, ``reports/2026/2026-06-01-aws-healthomics-nextflow-version-26-04.md``, "料金例 (US
  East - N. Virginia)", citing the pricing page: omics.c.4xlarge $0.918/h, omics.m.xlarge $0.2592/h, static run
  storage $0.0001918/GB-hour, dynamic run storage $0.0004110/GB-hour.

The keys are the Price List ``resourceType`` values (``Run Storage``, ``Dynamic Run Storage``, the instance type), as
``export-history`` reads them from ``pricing:GetProducts``. The product never uses these figures: it prices runs
at the Price List's. A test that needs a price not found here says so where it sets one.
"""

from __future__ import annotations

STATIC_STORAGE, DYNAMIC_STORAGE = "Run Storage", "Dynamic Run Storage"
SMALL, LARGE = "omics.m.xlarge", "omics.c.4xlarge"
SMALL_CPUS, LARGE_CPUS = 4, 16  # their vCPUs (the first write-up: omics.c.4xlarge "16 vCPU")

US_EAST_1 = {STATIC_STORAGE: 0.0001918, DYNAMIC_STORAGE: 0.0004110, SMALL: 0.2592, LARGE: 0.918}
