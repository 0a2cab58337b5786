"""What a run and a batch resource share: run props, handler grants, properties and the digest."""

from __future__ import annotations

import enum
import json
import weakref
from typing import TYPE_CHECKING, Any, Optional, Sequence, TypedDict

import jsii
from aws_cdk import (
    Annotations,
    CustomResource,
    ITaggableV2,
    Lazy,
    RemovalPolicy,
    TagManager,
    TagType,
    Token,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct
from healthomics_run.construct_helpers.environments import foreign_problems
from healthomics_run.construct_helpers.policies import s3_object_arn
from healthomics_run.construct_helpers.retention import expect_retained
from healthomics_run.construct_helpers.status_events import StatusEvents
from healthomics_run.construct_helpers.tokens import LazyText
from healthomics_run.construct_helpers.tree import path_of, placed, stack_of
from healthomics_run.construct_helpers.validation import is_unresolved
from healthomics_run.enums import BatchStatus, DeletePolicy, RunStatus, StorageType, WaitFor, WorkflowType
from healthomics_run.errors import (
    INVALID_OUTPUT_LOCATION,
    INVALID_PARAMETERS,
    INVALID_RUN_PROPS,
    INVALID_SAMPLE_SHEET,
    PROPERTIES_TOO_LARGE,
    raise_if_any,
    require_stack,
)
from healthomics_run.infrastructure.run_cache import IRunCache, RunCache
from healthomics_run.infrastructure.run_group import IRunGroup, RunGroup
from healthomics_run.run_model import fields, rules, service_model
from healthomics_run.run_model.fingerprint import content_digest, fingerprint
from healthomics_run.run_model.properties import has_intrinsics, nulls_as_strings, parameter_types
from healthomics_run.run_model.settings import READERS
from healthomics_run.workflows import _parameter_fit as parameter_fit
from healthomics_run.workflows.workflow import IWorkflow

from . import _template_values as template_values
from ._properties_size import MAX_PROPERTIES_BYTES, properties_size
from ._provider import DIAGNOSIS_ACTIONS, TASKS_REASON, RunProvider
from ._staging import may_hold_tokens, stage_json
from ._synth_warnings import check_at_synth
from .run_props import RunProps, run_props_problems

# The run groups and caches already retained for runs that use them (by the first such run).
_RETAINED: weakref.WeakSet[Construct] = weakref.WeakSet()

if TYPE_CHECKING:  # imported where used: most runs neither notify nor wait past 50 minutes
    from aws_cdk import aws_events as events

# Parameters larger than this are staged to S3 unasked (stage_parameters): well under what the provider's
# event carries (_properties_size), and large enough that typical runs keep theirs readable in cdk diff.
AUTO_STAGE_BYTES = 32_768
SETTINGS_DIGEST = template_values.SETTINGS_DIGEST
TAGS = fields.BY_API["tags"].prop


class ProvenanceChoices(TypedDict):
    """A run resource's provenance props, as it registers them with the provenance writer."""

    enabled: bool
    location: Optional[str]
    values: bool
    details: bool
    keys: list[kms.IKey]


def plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


@jsii.implements(ITaggableV2)
class RunResource(Construct):
    """Base of ``WorkflowRun`` and ``WorkflowRunBatch``: reads the run props, resolves the run group,
    builds the StartRun members and the construct's own settings.

    Taggable (``ITaggableV2``): a custom resource is not, so ``Tags.of(scope).add(...)`` would pass its
    runs by; here it reaches them, merged with the ``tags`` prop as aws-cdk-lib merges an L1's own tags
    (on the same key, ``Tags.of`` wins), into the ``Tags`` property: each run's ``tags`` and, for a batch,
    the batch's ``tags`` and every run's ``runTags``.

    Subclasses call ``_check`` before building anything from ``request`` (grants, properties), and
    ``_check_size`` on the properties before creating the resource.
    """

    completion: Construct
    """What is complete once the run (every run of the batch) has reached ``wait_for``: make other resources
    depend on it (``other.node.add_dependency(run.completion)``). With ``wait_for`` COMPLETED beyond the
    provider's hour, a wait condition; otherwise the custom resource itself."""
    RESOURCE_TYPE: str
    STATUS_EVENTS: StatusEvents
    ID_ATTRIBUTE: str
    UUID_ATTRIBUTE: str

    def __init__(self, scope: Construct, id: str, *, role: iam.IRole, output_uri: str, run_props: RunProps) -> None:
        require_stack(scope, id, type(self).__name__)
        super().__init__(scope, id)
        placed(self, scope, id)
        raise_if_any(self, *run_props_problems(run_props))
        raise_if_any(self, (INVALID_RUN_PROPS, foreign_problems(self, "this run", [
            (name, run_props.get(name)) for name in ("workflow", "cache", "run_group", "configuration")
            if not isinstance(run_props.get(name), str)])))
        self.provider = RunProvider.of(scope)  # first: it makes each ARN and attribute once per stack
        self.role = role
        self.workflow, self.configuration = run_props.get("workflow"), run_props.get("configuration")
        self._depend_on_workflow_and_configuration()
        self.run_group = _run_group(self, run_props.get("run_group"))
        self.request = self._request(role, output_uri, run_props)
        self._tags = TagManager(TagType.MAP, self.RESOURCE_TYPE, self.request.get("tags"))
        self.delete_policy: str = plain(run_props.get("delete_policy", DeletePolicy.RETAIN))
        self.wait_for: str = plain(run_props.get("wait_for", WaitFor.STARTED))
        timeout = run_props.get("timeout")
        self.timeout_seconds: int = int(timeout.to_seconds()) if timeout else fields.MAX_TIMEOUT_SECONDS
        self.rerun_token: str = run_props.get("rerun_token") or ""
        self.notification_topic = run_props.get("notification_topic")
        # COMPLETED beyond the Provider framework's hour: the resource waits for STARTED, a wait condition the rest.
        self.waits_with_condition = (self.wait_for == WaitFor.COMPLETED.value
                                     and self.timeout_seconds > fields.MAX_TIMEOUT_SECONDS)
        self.cache: Optional[IRunCache] = run_props.get("cache")
        if self.cache is not None:
            self.cache.grant_service_role(role)
        if self.delete_policy == DeletePolicy.RETAIN.value:
            self._retain_what_runs_use()
        self.parameters_digest = ""  # set when the parameters are staged (stage_parameters)
        self.parameters_asset: Optional[s3_assets.Asset] = None
        self.provenance: ProvenanceChoices = {"enabled": run_props.get("provenance", True),
                           "location": run_props.get("provenance_location"),
                           "values": run_props.get("provenance_parameter_values", False),
                           "details": run_props.get("provenance_task_details", False),
                           "keys": list(run_props.get("provenance_kms_keys") or ())}

    @property
    def handler_role(self) -> iam.IRole:
        """The role of the stack's handler function, which starts, watches and cancels the runs (one per stack).

        Grant it what it reads on your behalf and the library cannot know, such as the KMS key of a
        ``parameters_uri`` object: ``key.grant_decrypt(run.handler_role)``.
        """
        return self.provider.role

    def _retain_what_runs_use(self) -> None:
        """With RETAIN, runs outlive the stack, and HealthOmics refuses to delete a run group or a run cache while
        runs use them (HealthOmics guide: "Deleting runs and run groups", "Deleting a run cache"): so the run
        group and run cache of this stack that the runs use are retained too, and ``cdk destroy`` does not end
        in DELETE_FAILED."""
        for used in (self.run_group, self.cache):
            if isinstance(used, (RunGroup, RunCache)) and used not in _RETAINED:
                _RETAINED.add(used)  # once per run group or cache, however many runs use it
                used.apply_removal_policy(RemovalPolicy.RETAIN)
                expect_retained(used, f"retained runs ({path_of(self)}) use it, and HealthOmics refuses to delete "
                                      "it while runs use it, so the stack's deletion would fail")

    @property
    def cdk_tag_manager(self) -> TagManager:
        """The tags of the run (batch and its runs): the ``tags`` prop, and whatever ``Tags.of`` adds."""
        return self._tags

    def sample_parameters(self) -> list[Any]:
        """The parameters of each sample (a batch's); none for a run."""
        return []

    def synth_errors(self) -> list[str]:
        """What fails synthesis once the app is complete: the tags, with those ``Tags.of`` added."""
        return self._tag_errors()

    def _tag_errors(self) -> list[str]:
        """The ``Tags`` property as the template holds it: deploy-time values stand there as intrinsics (dicts), left
        alone as tokens were at the user's line."""
        tags = template_values.resolved(self).get(TAGS) or {}
        shape = service_model.input_members("StartRun")["tags"]
        errors = rules.member_errors("tags", tags, shape, lambda value: isinstance(value, dict) or is_unresolved(value))
        return [f"{error} (the tags prop with those Tags.of added)" for error in errors]

    def _request(self, role: iam.IRole, output_uri: str, run_props: RunProps) -> dict[str, Any]:
        given = {**run_props, "role_arn": self.provider.attribute(role, "role_arn"), "output_uri": output_uri,
                 "run_group_id": self.provider.attribute(self.run_group, "run_group_id") if self.run_group else None}
        if run_props.get("cache") is not None:
            given["cache_id"] = run_props["cache"].cache_id
        given.update(_from_workflow_and_configuration(run_props))
        session_policy = run_props.get("session_policy")
        if isinstance(session_policy, iam.PolicyDocument):
            given["session_policy"] = self._policy_json(session_policy)
        given.setdefault("name", path_of(self)[-128:])
        given.setdefault("storage_type", StorageType.DYNAMIC)
        request = {field.api: plain(given.get(field.snake)) for field in fields.START_RUN_FIELDS}
        return {api: value for api, value in request.items() if value is not None}

    def _policy_json(self, document: iam.PolicyDocument) -> str:
        """A policy document as the compact JSON StartRun takes; a token when it holds deploy-time values."""
        resolved = stack_of(self).resolve(document.to_json())
        if has_intrinsics(resolved):
            return stack_of(self).to_json_string(document.to_json())
        return json.dumps(resolved, separators=(",", ":"))

    def _check(self, run_problems: Sequence[str] = (), sample_problems: Sequence[str] = ()) -> None:
        """Raise a ``ValidationError`` naming every problem with the settings known now (tokens are left
        to the handler), plus the subclass's own ``run_problems`` and ``sample_problems``."""
        placed = {"outputUri": INVALID_OUTPUT_LOCATION, "parameters": INVALID_PARAMETERS}
        found = {code: self._member_errors(api) for api, code in placed.items()}
        output_uri = self.request.get("outputUri")
        if not found[INVALID_OUTPUT_LOCATION] and not is_unresolved(output_uri):
            found[INVALID_OUTPUT_LOCATION] = rules.output_uri_errors("output_uri", output_uri)
        raise_if_any(self,
                     (INVALID_RUN_PROPS, rules.run_errors(self.request, is_unresolved, frozenset(placed))
                      + list(run_problems)
                      + self._control_errors()),
                     (INVALID_OUTPUT_LOCATION, found[INVALID_OUTPUT_LOCATION]),
                     (INVALID_PARAMETERS, found[INVALID_PARAMETERS] or self._fit_errors()),
                     (INVALID_SAMPLE_SHEET, sample_problems))

    def _member_errors(self, api: str) -> list[str]:
        value = self.request.get(api)
        if value is None or is_unresolved(value):
            return []
        shape = service_model.input_members("StartRun")[api]
        return rules.member_errors(fields.BY_API[api].snake, value, shape, is_unresolved)

    def _check_size(self, properties: dict[str, Any], what: str) -> None:
        """Refuse properties too large for the provider's event (see ``_properties_size``)."""
        size = properties_size(properties)
        if size > MAX_PROPERTIES_BYTES:
            raise_if_any(self, (PROPERTIES_TOO_LARGE, [
                f"the resource's properties take {size:,} bytes as JSON, mostly {what}; at most "
                f"{MAX_PROPERTIES_BYTES:,} fit in the event CloudFormation sends the provider (a Step Functions "
                f"input of at most 256 KiB, holding old and new properties on update). Make {what} smaller, "
                "e.g. pass large inputs as S3 URIs, or put the parameters in a JSON file in S3 and give "
                "parameters_uri"]))

    def _control_errors(self) -> list[str]:
        """``delete_policy`` and ``wait_for`` decide which resources the construct builds (a wait condition, the
        handler's behaviour): they must be known at synth, never deploy-time values."""
        deploy_time = [name for name, value in (("delete_policy", self.delete_policy), ("wait_for", self.wait_for))
                       if is_unresolved(value)]
        if deploy_time:
            return [f"{name} must be known at synth (a DeletePolicy / WaitFor value), not a deploy-time value: the "
                    "construct builds different resources for each" for name in deploy_time]
        return rules.control_errors(self.delete_policy, self.wait_for, self.timeout_seconds)

    def stage_parameters(self, asked: Optional[bool]) -> None:
        """Move the parameters out of the template into an S3 JSON file when asked, or unasked when they are
        larger than AUTO_STAGE_BYTES; the template keeps their location and digest only. Call after ``_check``:
        the values are JSON by then."""
        parameters = self.request.get("parameters")
        if parameters is None or asked is False:
            return
        text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          default=Token.as_string)
        size = len(text.encode("utf-8"))
        if may_hold_tokens(text):  # a file written at synth cannot hold values known only at deploy time
            if asked:
                raise_if_any(self, (INVALID_PARAMETERS, [
                    "parameters staged to S3 cannot hold deploy-time values (tokens): the file is written at "
                    "synth. Give those parameters as plain values, or stage_parameters=False"]))
            return
        if not asked and size <= AUTO_STAGE_BYTES:
            return
        if not asked:
            Annotations.of(self).add_info(
                f"parameters take {size:,} bytes: staged to S3 as a file (more than {AUTO_STAGE_BYTES:,} bytes), the "
                "template holds its location and digest. Give stage_parameters=True to say so, False to keep them "
                "inline.")
        self.parameters_digest = content_digest(parameters)  # what names the run, staged or not
        self.parameters_asset = asset = stage_json(self, "Parameters", text, self.parameters_digest, "parameters")
        self.request = {**{k: v for k, v in self.request.items() if k != "parameters"},
                        "parametersUri": asset.s3_object_url}

    def template_fingerprint(self) -> str:
        """The handler's fingerprint over the properties as they stand in the template (tokens included):
        what ``RunSettingsDigest`` shows and the plan compares. Asked at synth, when the template is complete."""
        return self._fingerprint(template_values.resolved(self), legacy=False)

    def _fingerprint(self, template_properties: dict[str, Any], *, legacy: bool) -> str:
        """``legacy``: the form 0.2 gave the settings, tags included."""
        try:
            settings = READERS[self.RESOURCE_TYPE](template_properties)
            return settings.legacy_fingerprint() if legacy else settings.fingerprint()
        except ValueError:  # a whole number that is a token: the template itself is then the best witness
            return fingerprint(template_properties)

    def _properties(self) -> dict[str, Any]:
        """The shared settings as CloudFormation properties (StartRun members, typed parameters, controls)."""
        properties = {fields.BY_API[api].prop: value for api, value in self.request.items()}
        # The tag manager's own lazy value: rendered by aws-cdk-lib at synth (no property when there are no tags),
        # without a call back into Python per run.
        properties[TAGS] = self._tags.rendered_tags
        for field in fields.START_RUN_FIELDS:
            if field.types is None or field.api not in self.request:
                continue
            types = parameter_types(self.request[field.api])
            if types:
                properties[field.types] = types
                properties[field.prop] = nulls_as_strings(properties[field.prop])
        if self.parameters_digest:
            properties[fields.PARAMETERS_DIGEST] = self.parameters_digest
        if self.rerun_token:
            properties[fields.RERUN_TOKEN] = self.rerun_token
        properties[fields.DELETE_POLICY] = self.delete_policy
        if self.waits_with_condition:
            properties[fields.WAIT_FOR] = WaitFor.STARTED.value
            properties[fields.TIMEOUT_SECONDS] = fields.MAX_TIMEOUT_SECONDS
        else:
            properties[fields.WAIT_FOR] = self.wait_for
            properties[fields.TIMEOUT_SECONDS] = self.timeout_seconds
        return properties

    def _create_resource(self, resource_type: str, properties: dict[str, Any]) -> None:
        """``self.resource``, and what waits for it or reports on it (``completion``, notifications)."""
        template_values.remember(self, properties)
        check_at_synth(self.provider, self)  # once made: a run whose props were refused (and caught) is no run
        properties[SETTINGS_DIGEST] = Lazy.string(LazyText(lambda: self.template_fingerprint()[:16]))
        # ServiceTimeout set explicitly: the provider's own timeouts are nested inside it (see fields).
        self.resource = CustomResource(self, "Resource", service_token=self.provider.service_token,
                                       resource_type=resource_type, properties=properties,
                                       service_timeout=self.provider.service_timeout)
        # After the role's policies too, not only the role: HealthOmics checks access when the run starts.
        self.resource.node.add_dependency(self.role)
        self.completion: Construct = self.resource
        if self.waits_with_condition:
            from .completion_wait import CompletionWait

            self.completion = CompletionWait(
                self, "Completion", resource=self.resource, resource_type=resource_type,
                id_attribute=self.ID_ATTRIBUTE, uuid_attribute=self.UUID_ATTRIBUTE, status_events=self.STATUS_EVENTS,
                timeout_seconds=self.timeout_seconds,
                generation=f"{self._wait_generation(properties)}T{self.timeout_seconds}")
        if self.notification_topic is not None:
            from aws_cdk import aws_events_targets as targets

            self.on_status_change("Notifications", target=targets.SnsTopic(self.notification_topic))
        from healthomics_run.after_run.provenance_writer import (
            ProvenanceWriter,  # beside the resource, never in its properties
        )

        ProvenanceWriter.register(self, log_group=self.provider.log_group, **self.provenance)

    def output_uris(self) -> list[str]:
        """Where this resource's runs write their outputs (a batch: its samples' own too)."""
        return [self.request["outputUri"]]

    def _wait_generation(self, properties: dict[str, Any]) -> str:
        """What names the wait for COMPLETED (``CompletionWait``): the settings as 0.2 named them, with the ``tags``
        prop (Tags.of has not reached them yet, at construction), so that a stack deployed with 0.2 keeps its
        wait, and a run that ended is not waited for again (a new wait would fail over a run deleted since). The
        ``tags`` prop stands in for the ``Tags`` property, whose lazy value aws-cdk-lib keeps once rendered: rendered
        now, it would miss what ``Tags.of`` adds later."""
        at_construction = {key: value for key, value in properties.items() if key not in (SETTINGS_DIGEST, TAGS)}
        if self.request.get("tags"):
            at_construction[TAGS] = self.request["tags"]
        return self._fingerprint(self.resolved(at_construction), legacy=True)[:16]

    def on_status_change(self, id: str, *, target: events.IRuleTarget,
                         statuses: Sequence[RunStatus | BatchStatus | str] = ()) -> events.Rule:
        """An EventBridge rule that sends this resource's HealthOmics status change events to ``target``.

        :param statuses: only these statuses (``RunStatus`` for a run, ``BatchStatus`` for a batch; plain strings
            are checked here, a status the resource never has raises ``ValidationError``). Default: every change.
        """
        statuses = [plain(status) for status in statuses]
        raise_if_any(self, (INVALID_RUN_PROPS,
                            self.STATUS_EVENTS.errors([s for s in statuses if not is_unresolved(s)])))
        uuid = self.resource.get_att_string(self.UUID_ATTRIBUTE)
        from aws_cdk import aws_events as events

        return events.Rule(self, id, description=f"HealthOmics status changes of {path_of(self)}",
                           event_pattern=self.STATUS_EVENTS.pattern(uuid, statuses), targets=[target])

    def resolved(self, value: Any) -> Any:
        """``value`` as it stands in the template: what the handler's fingerprint sees, tokens included."""
        return stack_of(self).resolve(value)

    def workflow_arns(self) -> list[str]:
        if self.workflow is not None:
            return self._workflow_construct_arns(self.workflow)
        workflow_id = self.request.get("workflowId")
        if workflow_id is None:
            return []
        ready2run = self.request.get("workflowType") == WorkflowType.READY2RUN.value
        account = "" if ready2run else self.request.get("workflowOwnerId")
        arns = [self.provider.arn("workflow", workflow_id, account)]
        if "workflowVersionName" in self.request:
            arns.append(self.provider.arn("workflow", f"{workflow_id}/version/{self.request['workflowVersionName']}",
                                          account))
        return arns

    # -- workflow= and configuration= ---------------------------------------------------------------

    def _depend_on_workflow_and_configuration(self) -> None:
        """The run (and everything of this construct) is created after the workflow and the configuration."""
        for definition in (self.workflow, self.configuration):
            if isinstance(definition, Construct):
                self.node.add_dependency(definition)

    def _workflow_construct_arns(self, workflow: IWorkflow) -> list[str]:
        """The ARNs of ``workflow=`` as the construct knows them (its own ``Arn`` attributes when made in the
        app), plus the version's when the run names one."""
        arns = [workflow.workflow_arn]
        version_arn = getattr(workflow, "workflow_version_arn", None)
        if version_arn is not None:
            arns.append(version_arn)
        elif "workflowVersionName" in self.request:
            arns.append(f"{workflow.workflow_arn}/version/{self.request['workflowVersionName']}")
        return arns

    def workflow_template(self) -> Optional[dict[str, dict[str, Any]]]:
        """The parameter template the parameters are checked against at synth: ``workflow``'s, when known;
        ``None`` when unknown, when the parameters are in the user's S3 file (``parameters_uri``), or when a
        version other than the one ``workflow`` describes is named by ``workflow_version_name``."""
        workflow = self.workflow
        if workflow is None or workflow.parameter_template is None or "parametersUri" in self.request:
            return None
        if "workflowVersionName" in self.request and getattr(workflow, "version_name", None) is None:
            return None
        return workflow.parameter_template

    def _fit_errors(self) -> list[str]:
        """The parameters against the workflow's known template (a batch checks each sample's instead)."""
        template = self.workflow_template()
        parameters = self.request.get("parameters") or {}
        if template is None or not isinstance(parameters, dict):
            return []
        return parameter_fit.run_errors(template, parameters)

    def omics_arn(self, resource: str, name: str) -> str:
        return self.provider.arn(resource, name)

    def grant_parameters_file(self, *, service_role_reads: bool) -> None:
        """The object ``parameters_uri`` names, and no more: the handler reads it before starting (its names are
        checked against the workflow's template); the service role reads it when ``service_role_reads`` (a
        run: HealthOmics reads the file; a batch gets its content from the handler). An imported immutable role
        is left as it is."""
        uri = self.request.get("parametersUri")
        if uri is None:
            return
        arn = s3_object_arn(uri)
        self.provider.allow(["s3:GetObject"], [arn])
        if service_role_reads:
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[arn]))

    def grant_handler(self, *, start_actions: list[str], watched: str, watch_actions: list[str]) -> None:
        """What the handler needs for this resource, and no more.

        ``start_actions`` are allowed on the workflow, the run group, the cache, the configuration and
        ``run/*`` (a batch's StartRunBatch is authorized against each of them too); ``watch_actions`` on
        ``watched``; ``DIAGNOSIS_ACTIONS`` on ``run/*`` and ``task/*``, to say why a run failed (``diagnosis``).
        """
        runs = self.omics_arn("run", "*")
        workflows = self.workflow_arns()
        start_on = [*workflows, runs, *([watched] if watched != runs else [])]
        if self.run_group is not None:
            start_on.append(self.run_group.run_group_arn)
        if self.cache is not None:
            start_on.append(self.cache.cache_arn)
        elif "cacheId" in self.request:
            start_on.append(self.omics_arn("runCache", self.request["cacheId"]))
        if "configurationName" in self.request:
            start_on.append(self.omics_arn("configuration", self.request["configurationName"]))
        # Reading the workflow's parameter template goes with starting it: one statement, one list of ARNs
        # (GetWorkflow is authorized against workflow ARNs only, so the run and run group ARNs add nothing).
        reads = ["omics:GetWorkflow", "omics:GetWorkflowVersion"] if workflows else []
        self.provider.allow([*start_actions, *reads], start_on)
        self.provider.allow(watch_actions, [watched])
        tasks = self.omics_arn("task", "*")
        self.provider.allow(DIAGNOSIS_ACTIONS, [runs, tasks])
        self.provider.acknowledge_wildcard(tasks, TASKS_REASON)
        self.provider.allow(["iam:PassRole"], [self.provider.attribute(self.role, "role_arn")],
                            conditions={"StringEquals": {"iam:PassedToService": "omics.amazonaws.com"}})
        # Always: tags reach runs from Tags.of (applied at synth), and a later deploy that changes or removes
        # them re-tags the existing run (batch) in place.
        self.provider.allow(["omics:TagResource", "omics:UntagResource"], _unique(runs, watched))
        for arn in _unique(runs, watched):
            self.provider.acknowledge_wildcard(arn, "Run and batch ids are assigned by HealthOmics when they start; "
                                                    "they cannot be named beforehand. Actions on them are limited "
                                                    "to this account and Region.")


def _unique(*arns: str) -> list[str]:
    return list(dict.fromkeys(arns))


def _run_group(scope: Construct, run_group: Optional[IRunGroup | str]) -> Optional[IRunGroup]:
    if isinstance(run_group, str):
        return RunGroup.from_run_group_id(scope, "RunGroup", run_group)
    return run_group


def _from_workflow_and_configuration(run_props: RunProps) -> dict[str, Any]:
    """The run props ``workflow=`` and ``configuration=`` stand for (run_props refuses them given twice)."""
    given: dict[str, Any] = {}
    workflow = run_props.get("workflow")
    if workflow is not None:
        given.update(workflow_id=workflow.workflow_id, workflow_type=workflow.workflow_type,
                     workflow_owner_id=workflow.owner_id)
        if getattr(workflow, "version_name", None) is not None:
            given["workflow_version_name"] = workflow.version_name
    configuration = run_props.get("configuration")
    if configuration is not None:
        given.update(configuration_name=configuration.configuration_name, networking_mode="VPC")
    return given
