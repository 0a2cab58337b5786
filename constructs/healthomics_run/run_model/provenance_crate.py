"""A run, as HealthOmics, S3 and CloudFormation describe it, as a Workflow Run RO-Crate (JSON-LD).

Pure and deterministic: the same run gives the same bytes (no time of writing, lists in a fixed
order), so writing a record again changes nothing. The crate conforms to the Process Run, Workflow
Run and Provenance Run Crate profiles (0.5): the run is a ``CreateAction`` whose ``instrument`` is
the workflow, ``object`` its inputs and ``result`` its outputs; HealthOmics (the engine) is the
``instrument`` of an ``OrganizeAction`` whose ``object`` is one ``ControlAction`` per task, each
pointing at the task's own ``CreateAction`` with its container image by digest.

What the profiles recommend is there too (the record validates at RECOMMENDED with roc-validator): the run's
``agent`` (a Person or Organization: schema.org's range of ``agent``; by default the AWS account that deployed
the stack, named by the stack's ARN), typed ``FormalParameter``s, times with an offset, a description per
action. Neither the run's name (it often holds a sample id) nor a licence is written unless asked for.

Terms the profiles lack (an S3 ETag, the deploy that started the run) are ``PropertyValue``s named by
``propertyID``, or mapped in the context to the AWS documentation page that defines them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Iterable, Optional
from urllib.parse import quote

PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/ro/wfrun/provenance/0.5": "Provenance Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}
WFRUN = "https://w3id.org/ro/terms/workflow-run#"
# The RO-Crate 1.1 context, plus the Workflow Run terms this record uses (as the profiles' own context maps
# them) and S3's ETag; inline, so that a reader needs one context document, not two.
CONTEXT = [
    "https://w3id.org/ro/crate/1.1/context",
    {**{term: f"{WFRUN}{term}" for term in ("ContainerImage", "containerImage", "registry", "tag", "sha256")},
     "etag": "https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html#AmazonS3-Type-Object-ETag"},
]
ENGINE_LANGUAGES = {
    "WDL": ("https://w3id.org/workflowhub/workflow-ro-crate#wdl", "Workflow Description Language",
            "https://openwdl.org/"),
    "WDL_LENIENT": ("https://w3id.org/workflowhub/workflow-ro-crate#wdl", "Workflow Description Language",
                    "https://openwdl.org/"),
    "NEXTFLOW": ("https://w3id.org/workflowhub/workflow-ro-crate#nextflow", "Nextflow", "https://www.nextflow.io/"),
    "CWL": ("https://w3id.org/workflowhub/workflow-ro-crate#cwl", "Common Workflow Language",
            "https://www.commonwl.org/"),
}
ACTION_STATUS = {"COMPLETED": "http://schema.org/CompletedActionStatus",
                 "FAILED": "http://schema.org/FailedActionStatus",
                 "CANCELLED": "http://schema.org/FailedActionStatus"}
_IMAGE = re.compile(r"^(?:(?P<registry>[^/]+\.[^/]+)/)?(?P<name>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>.+))?$")


def _time(value: Any) -> Optional[str]:
    """ISO 8601 with an offset and at most milliseconds (``2026-12-06T05:07:01.345+00:00``): the form the Process
    Run Crate shapes accept for ``startTime``/``endTime`` (``T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?\\+\\d{2}:\\d{2}``)."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        when = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
        return when.isoformat(timespec="milliseconds" if when.microsecond // 1000 else "seconds")
    return None


DATA_URI = re.compile(r"^(s3|omics)://")


def value_type(value: Any) -> str:
    """The Workflow Run Crate ``additionalType`` of a parameter's value: File, Dataset (an S3 prefix, ending in
    ``/``), Boolean, Integer, Float, Text; a list by its items' type; an object as ``PropertyValue``."""
    if isinstance(value, list):
        kinds = {value_type(item) for item in value}
        return kinds.pop() if len(kinds) == 1 else "Text"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, dict):
        return "PropertyValue"
    if isinstance(value, str) and DATA_URI.match(value):
        return "Dataset" if value.endswith("/") else "File"
    return "Text"


def _ref(id: str) -> dict[str, str]:
    return {"@id": id}


def _local(kind: str, name: str) -> str:
    """A local ``@id`` for a name from the run (task and parameter names may hold spaces): percent-encoded."""
    return f"#{kind}-{quote(name, safe=':/.-_@')}"


def _prop(property_id: str, value: Any) -> dict[str, Any]:
    return {"@id": _local("property", property_id), "@type": "PropertyValue", "propertyID": property_id,
            "name": property_id, "value": value}


def _clean(entity: dict[str, Any]) -> dict[str, Any]:
    """Without empty properties, and a list of one as that one (the compact form RO-Crate recommends)."""
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in entity.items()
            if v is not None and v != [] and v != ""}


def _sha256(digest: Optional[str]) -> Optional[str]:
    return digest.split(":", 1)[1] if digest and digest.startswith("sha256:") else None


def image_entity(uri: str, digest: Optional[str]) -> dict[str, Any]:
    """A ``ContainerImage`` (Process Run Crate) for an image URI and the digest HealthOmics resolved."""
    found = _IMAGE.match(uri)
    parts = found.groupdict() if found else {"registry": None, "name": uri, "tag": None, "digest": None}
    digest = digest or parts["digest"]
    return _clean({"@id": _local("image", _sha256(digest) or uri), "@type": "ContainerImage",
                   "additionalType": _ref(f"{WFRUN}DockerImage"),
                   "name": parts["name"], "registry": parts["registry"], "tag": parts["tag"],
                   "sha256": _sha256(digest), "identifier": uri})


class _Graph:
    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {}

    def add(self, entity: dict[str, Any]) -> dict[str, str]:
        self.entities.setdefault(entity["@id"], _clean(entity))
        return _ref(entity["@id"])


ENGINE_ID = "https://aws.amazon.com/healthomics/"
NO_VERSION = "version unknown: HealthOmics does not say it"
# RO-Crate's root needs a licence (roc-validator: REQUIRED); a record names one only when the user chose it.
NO_LICENSE = {"@id": "#no-license", "@type": "CreativeWork", "name": "No licence stated",
              "description": "The owner of the run named no licence for this record (healthomics-run writes none "
                             "unless asked); ask them before reusing it."}


def agent_entity(deploy: dict[str, Any], named: Optional[dict[str, Any]]) -> dict[str, Any]:
    """Who ran the run: the entity the user named, or the AWS account that deployed the stack (the principal that
    owns what the stack's deploy handler started), identified by the stack's ARN."""
    if named:
        return {"@type": "Person", **named}
    stack_id = str(deploy.get("stackId") or "")
    account = stack_id.split(":")[4] if stack_id.count(":") >= 5 else ""
    region = stack_id.split(":")[3] if stack_id.count(":") >= 5 else ""
    console = (f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/stackinfo"
               f"?stackId={quote(stack_id, safe='')}") if region else None
    return {"@id": stack_id or "#agent", "@type": "Organization", "url": _ref(console) if console else None,
            "name": f"AWS account {account or 'unknown'} (CloudFormation stack {deploy.get('stackName') or '?'})",
            "description": "The AWS account that deployed the CloudFormation stack whose resource started the run; "
                           "identified by the stack's ARN."}


def build(*, run: dict[str, Any], workflow: Optional[dict[str, Any]], tasks: Iterable[dict[str, Any]],
          inputs: Iterable[dict[str, Any]], outputs: Iterable[dict[str, Any]], deploy: dict[str, Any],
          parameters_digest: str, with_values: bool, parameters: Optional[dict[str, Any]] = None,
          agent: Optional[dict[str, Any]] = None, licence: Optional[str] = None,
          with_names: bool = False, upstream: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The crate's JSON-LD. ``run``: GetRun's answer; ``workflow``: GetWorkflow(Version)'s, or None when it
    is gone; ``tasks``: GetRunTask's answers; ``inputs``/``outputs``: S3 objects as ``objects.inputs`` and
    ``objects.outputs`` give them (``parameter``/``output``: the name they were given under); ``deploy``:
    ``owners.Deploy`` as a dict; ``with_values``: put parameter values (not only their digest) in the record;
    ``parameters``: the run's parameters when GetRun's are not all (a run started with ``parametersUri``);
    ``agent``: who ran it (a Person or Organization entity; default: the deploying account); ``licence``: the
    record's licence URI (default: none); ``with_names``: put the run's name in the record; ``upstream``: for
    a chain step's run, the runs whose outputs it was given (``chaining.input_runs``: see ``_upstream``)."""
    graph = _Graph()
    run_action_id = f"#run-{run['uuid']}"
    engine = (workflow or {}).get("engine")
    workflow_id = _workflow_id(run)
    if engine in ENGINE_LANGUAGES:
        language_id, language_name, url = ENGINE_LANGUAGES[engine]
        language = graph.add({"@id": language_id, "@type": "ComputerLanguage", "name": language_name,
                              "identifier": _ref(url), "url": _ref(url)})
    else:  # the workflow is gone (or its engine new): the profile still needs a language
        language = graph.add({"@id": "#language", "@type": "ComputerLanguage",
                              "name": engine or "unknown: the workflow was no longer in HealthOmics"})
    who = graph.add(agent_entity(deploy, agent))
    template = (workflow or {}).get("parameterTemplate") or {}
    parameters = parameters if parameters is not None else (run.get("parameters") or {})
    formal_inputs = {name: graph.add(_formal(_local("param", name), name, spec.get("description"),
                                             not spec.get("optional", False), _kind(name, parameters)))
                     for name, spec in sorted(template.items())}
    for name in sorted(parameters):  # parameters the template does not name (or no template known)
        formal_inputs.setdefault(name, graph.add(_formal(_local("param", name), name, None, False,
                                                         _kind(name, parameters))))
    output_names = sorted({item["output"] for item in outputs if item.get("output")})
    formal_outputs = {name: graph.add(_formal(_local("output", name), name, None, False, "File"))
                      for name in output_names}

    tools: dict[str, Any] = {}
    steps: list[dict[str, Any]] = []
    control_actions: list[dict[str, Any]] = []
    task_actions: list[dict[str, Any]] = []
    cache_entries: list[dict[str, Any]] = []
    for task in sorted(tasks, key=lambda t: (_time(t.get("creationTime")) or "", t["taskId"])):
        tool_name = task.get("name") or task["taskId"]
        if tool_name not in tools:
            tools[tool_name] = graph.add({"@id": _tool_id(workflow_id, tool_name), "@type": "SoftwareApplication",
                                          "name": tool_name,
                                          "description": f"A task of the workflow; {NO_VERSION} of the tool."})
            steps.append(graph.add({"@id": _local("step", tool_name), "@type": "HowToStep", "name": tool_name,
                                    "position": str(len(steps)), "workExample": tools[tool_name]}))
        details = task.get("imageDetails") or {}
        image = graph.add(image_entity(details["image"], details.get("imageDigest"))) if details.get("image") else None
        usage = [graph.add({**_prop(f"{key}-{task['taskId']}", task[key]), "propertyID": key, "name": key})
                 for key in ("instanceType", "cpus", "memory", "gpus", "cacheHit", "cacheS3Uri") if key in task]
        cached = [graph.add({"@id": task["cacheS3Uri"].rstrip("/") + "/", "@type": "Dataset",
                             "name": f"the run cache's entry of task {task['taskId']}",
                             "description": "The task's outputs as HealthOmics keeps them in the run cache "
                                            "(GetRunTask cacheS3Uri)."})] if task.get("cacheS3Uri") else []
        cache_entries += cached
        task_action = graph.add({
            "@id": f"#task-{task['taskId']}", "@type": "CreateAction", "name": f"{tool_name} ({task['taskId']})",
            "description": f"HealthOmics task {task['taskId']} of run {run['id']}"
                           + (", answered from the run cache" if task.get("cacheHit") else "")
                           + ("" if task.get("stopTime") else "; its end is the run's (HealthOmics gave none)"),
            "agent": who, "instrument": tools[tool_name], "containerImage": image, "identifier": task["taskId"],
            "startTime": _time(task.get("startTime")), "result": cached,
            "endTime": _time(task.get("stopTime")) or _time(run.get("stopTime")),
            "actionStatus": ACTION_STATUS.get(task.get("status", ""), "http://schema.org/ActiveActionStatus"),
            "error": task.get("failureReason"), "additionalProperty": usage})
        task_actions.append(task_action)
        control_actions.append(graph.add({"@id": f"#control-{task['taskId']}", "@type": "ControlAction",
                                          "name": f"orchestrate {tool_name}",
                                          "instrument": _ref(_local("step", tool_name)),
                                          "object": task_action}))

    ran_tasks = bool(control_actions)
    if not ran_tasks:  # the run ended before any task: HealthOmics' preparing it is its one step
        _before_any_task(graph, run, who, tools, steps, control_actions, task_actions)
    version = run.get("workflowVersionName") or run.get("digest")
    workflow_entity = graph.add({
        "@id": workflow_id, "@type": ["File", "SoftwareSourceCode", "ComputationalWorkflow", "HowTo"],
        "name": (workflow or {}).get("name") or run.get("workflowId") or "workflow",
        "description": None if version else f"The workflow HealthOmics ran; {NO_VERSION} (no version name or digest).",
        "conformsTo": _ref("https://bioschemas.org/profiles/ComputationalWorkflow/1.0-RELEASE"),
        "identifier": run.get("workflowId"), "version": version,
        "sha256": _sha256(run.get("digest")), "programmingLanguage": language,
        "input": list(formal_inputs.values()), "output": list(formal_outputs.values()),
        "hasPart": list(tools.values()), "step": steps})

    files = [graph.add(_s3_file(item, formal_inputs.get(item.get("parameter"))))
             for item in sorted(inputs, key=lambda i: (i["uri"], i.get("parameter") or ""))]
    with_files = {item.get("parameter") for item in inputs}
    objects = list(files)
    objects.append(graph.add(_prop("parameters-sha256", parameters_digest)))
    objects += _upstream(graph, run, upstream) if upstream is not None else []
    for name in sorted(parameters):
        if with_values:  # a File or Dataset parameter's FormalParameter is its files' (the value is here too)
            objects.append(graph.add({"@id": _local("value", name), "@type": "PropertyValue", "name": name,
                                      "exampleOfWork": None if name in with_files else formal_inputs[name],
                                      "value": json.dumps(parameters[name], sort_keys=True)}))
        elif name not in with_files:  # the parameter was given; its value is not recorded (it may identify people)
            objects.append(graph.add({"@id": _local("value", name), "@type": "PropertyValue", "name": name,
                                      "exampleOfWork": formal_inputs[name],
                                      "description": "given; its value is not recorded (parameters-sha256 "
                                                     "covers it; provenance_parameter_values records it)"}))
    results = [graph.add(_s3_file(item, formal_outputs.get(item.get("output"))))
               for item in sorted(outputs, key=lambda o: o["uri"])]
    if not results and run.get("runOutputUri"):  # none known: the folder the run wrote (or would have written) to
        results = [graph.add({"@id": run["runOutputUri"].rstrip("/") + "/", "@type": "Dataset",
                              "name": f"the output folder of run {run['id']}",
                              "description": "No output of the run is known (none listed, or the run did not "
                                             "complete): its output folder, as HealthOmics named it."})]

    settings = [graph.add(_prop(key, run[key])) for key in (
        "id", "arn", "uuid", "status", "roleArn", "runGroupId", "batchId", "cacheId", "cacheBehavior", "priority",
        "storageType", "storageCapacity", "retentionMode", "outputUri", "runOutputUri", "engineVersion",
        "startedBy", "statusMessage", "logLevel", "workflowUuid", "workflowType", "workflowOwnerId", "parametersUri")
        if run.get(key) not in (None, "")]
    settings += [graph.add(_prop(f"resourceDigest:{uri}", digest)) for uri, digest in
                 sorted((run.get("resourceDigests") or {}).items())]
    settings += [graph.add(_prop(f"deploy:{key}", value)) for key, value in sorted(deploy.items()) if value]
    engine_entity = graph.add(_clean({
        "@id": ENGINE_ID, "@type": "SoftwareApplication", "name": f"AWS HealthOmics ({engine or 'engine'})",
        "url": _ref("https://docs.aws.amazon.com/omics/latest/dev/what-is-healthomics.html"),
        "version": run.get("engineVersion"),
        "description": None if run.get("engineVersion") else f"The workflow engine of AWS HealthOmics; {NO_VERSION}."}))
    named = f" ({run['name']})" if with_names and run.get("name") else ""
    run_action = graph.add({
        "@id": run_action_id, "@type": "CreateAction", "name": f"HealthOmics run {run['id']}{named}",
        "description": f"AWS HealthOmics run {run.get('arn', run['id'])}, {run['status']}"
                       + ("" if ran_tasks else ", before any task ran"),
        "agent": who, "instrument": workflow_entity, "identifier": run.get("arn"), "object": objects,
        "result": results, "startTime": _time(run.get("startTime")), "endTime": _time(run.get("stopTime")),
        "actionStatus": ACTION_STATUS.get(run["status"], "http://schema.org/FailedActionStatus"),
        "error": run.get("failureReason"), "additionalProperty": settings})
    organize = graph.add({"@id": f"#organize-{run['uuid']}", "@type": "OrganizeAction",
                          "name": f"HealthOmics orchestrating run {run['id']}", "instrument": engine_entity,
                          "description": f"AWS HealthOmics running the tasks of run {run['id']}",
                          "agent": who, "object": control_actions, "result": run_action,
                          "startTime": _time(run.get("startTime")), "endTime": _time(run.get("stopTime"))})
    root = _clean({
        "@id": "./", "@type": "Dataset", "name": f"Provenance of HealthOmics run {run['id']}",
        "description": f"What made the outputs of HealthOmics run {run.get('arn', run['id'])}: workflow, images, "
                       "inputs, settings and the deploy that started it (written by healthomics-run).",
        "datePublished": _time(run.get("stopTime")) or _time(run.get("creationTime")),
        "license": graph.add({"@id": licence, "@type": "CreativeWork", "name": licence}) if licence
        else graph.add(NO_LICENSE), "author": who,
        "conformsTo": [_ref(uri) for uri in PROFILES], "mainEntity": workflow_entity,
        "hasPart": [workflow_entity, *files, *results, *cache_entries],
        "mentions": [run_action, organize, *task_actions]})
    for uri, name in PROFILES.items():
        graph.add({"@id": uri, "@type": "CreativeWork", "name": name, "version": uri.rsplit("/", 1)[1]})
    descriptor = {"@id": "ro-crate-metadata.json", "@type": "CreativeWork",
                  "conformsTo": [_ref("https://w3id.org/ro/crate/1.1"),
                                 _ref("https://w3id.org/workflowhub/workflow-ro-crate/1.0")], "about": _ref("./")}
    return {"@context": CONTEXT, "@graph": [descriptor, root, *graph.entities.values()]}


def _upstream(graph: _Graph, run: dict[str, Any], upstream: dict[str, Any]) -> list[dict[str, str]]:
    """A chain step's inputs as runs. The files the step was given, the upstream runs' outputs, are its ``object``
    already, under the same ``@id`` as the ``result`` of those runs' actions in their own records: the Workflow Run
    RO-Crate way of saying one action's outputs are another's inputs (Process Run Crate 0.5,
    https://w3id.org/ro/wfrun/process/0.5; Provenance Run Crate 0.5, https://w3id.org/ro/wfrun/provenance/0.5).
    Each upstream run is named too, a ``PropertyValue`` ``upstream-run`` whose value is its ARN (the ``identifier``
    of its action in its record); not a ``CreateAction``: the profiles' shapes would then want its tool, agent,
    times and results here, which are in its own record. And their count, with the SHA-256 of their sorted ids,
    one per line, when too many to list. Run ids only: never a sample id."""
    arn = str(run.get("arn") or "")
    prefix = arn.rsplit("/", 1)[0] + "/" if arn.startswith("arn:") else "run "
    after = upstream.get("after", "")
    linked = [graph.add({"@id": f"#upstream-run-{run_id}", "@type": "PropertyValue", "propertyID": "upstream-run",
                         "name": f"upstream run {run_id}", "value": f"{prefix}{run_id}",
                         "description": f"A HealthOmics run of {after!r} whose outputs this run was given; its "
                                        "record (beside its outputs) names them as its result."})
              for run_id in upstream.get("runs", [])]
    counted = {"@id": "#property-upstream-runs", "@type": "PropertyValue", "propertyID": "upstream-runs",
               "name": "upstream-runs", "value": int(upstream.get("count", len(linked))),
               "description": f"How many runs of {after!r} this run read the outputs of"
                              + ("" if "runs" in upstream else "; too many to list: upstream-runs-sha256 is the "
                                 "SHA-256 of their sorted run ids, one per line")}
    return linked + [graph.add(counted)] + ([graph.add(_prop("upstream-runs-sha256", upstream["sha256"]))]
                                            if upstream.get("sha256") else [])


def _before_any_task(graph: _Graph, run: dict[str, Any], who: dict[str, str], tools: dict[str, Any],
                     steps: list[dict[str, Any]], control_actions: list[dict[str, Any]],
                     task_actions: list[dict[str, Any]]) -> None:
    """A run that ended before any task (the commonest failure: parameters, inputs, the definition) still has
    what the Provenance Run Crate requires, a tool the workflow ``hasPart`` and a ``ControlAction`` of the
    engine: HealthOmics preparing the run, an ``ActivateAction`` (it made nothing) that ended as the run did."""
    name = "HealthOmics run preparation"
    tools[name] = graph.add({"@id": f"{ENGINE_ID}#run-preparation", "@type": "SoftwareApplication", "name": name,
                             "description": "What HealthOmics does before a run's first task: reading the "
                                            f"definition, parameters and inputs; {NO_VERSION}."})
    steps.append(graph.add({"@id": _local("step", name), "@type": "HowToStep", "name": name, "position": "0",
                            "workExample": tools[name]}))
    action = graph.add({"@id": f"#preparation-{run['uuid']}", "@type": "ActivateAction", "name": name,
                        "description": f"HealthOmics preparing run {run['id']}; it ended before any task ran.",
                        "agent": who, "instrument": tools[name], "startTime": _time(run.get("startTime")),
                        "endTime": _time(run.get("stopTime")) or _time(run.get("creationTime")),
                        "actionStatus": ACTION_STATUS.get(run["status"], "http://schema.org/FailedActionStatus"),
                        "error": run.get("failureReason")})
    task_actions.append(action)
    control_actions.append(graph.add({"@id": f"#control-preparation-{run['uuid']}", "@type": "ControlAction",
                                      "name": f"orchestrate {name}", "instrument": steps[-1], "object": action}))


def _kind(name: str, parameters: dict[str, Any]) -> str:
    """The parameter's ``additionalType`` from the value the run gave it; ``DataType`` when it gave none (a
    HealthOmics parameter template says only ``description`` and ``optional``)."""
    return value_type(parameters[name]) if name in parameters else "DataType"


def _tool_id(workflow_id: str, name: str) -> str:
    """A task's tool, as an absolute URI when the workflow has one (its ARN): ``<workflow ARN>#<task name>``."""
    return f"{workflow_id}#{quote(name, safe=':/.-_@')}" if workflow_id.startswith("arn:") else _local("tool", name)


def _workflow_id(run: dict[str, Any]) -> str:
    arn = run.get("arn", "")
    if run.get("workflowId") and arn.startswith("arn:"):
        partition, _, region = arn.split(":")[1:4]
        account = "" if run.get("workflowType") == "READY2RUN" else (run.get("workflowOwnerId") or arn.split(":")[4])
        workflow_arn = f"arn:{partition}:omics:{region}:{account}:workflow/{run['workflowId']}"
        if run.get("workflowVersionName"):
            workflow_arn += f"/version/{run['workflowVersionName']}"
        return workflow_arn
    return "#workflow"


def _formal(id: str, name: str, description: Optional[str], required: bool, kind: str) -> dict[str, Any]:
    return {"@id": id, "@type": "FormalParameter", "name": name, "description": description,
            "additionalType": kind, "valueRequired": required,
            "conformsTo": _ref("https://bioschemas.org/profiles/FormalParameter/1.0-RELEASE")}


def _s3_file(item: dict[str, Any], parameter: Optional[dict[str, str]]) -> dict[str, Any]:
    return {"@id": item["uri"], "@type": "File", "exampleOfWork": parameter, "contentSize": item.get("size"),
            "version": item.get("versionId"), "etag": item.get("eTag"),
            "dateModified": _time(item.get("lastModified")), "description": item.get("note")}


def to_bytes(crate: dict[str, Any]) -> bytes:
    """The record as written: sorted keys, two-space indent, UTF-8."""
    return (json.dumps(crate, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
