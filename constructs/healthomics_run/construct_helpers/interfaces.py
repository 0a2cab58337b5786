"""How this library's interfaces (``IRunGroup``, ``IRunCache``, ``IWorkflow``, ``IConfiguration``) build on
``aws_cdk.IResource``.

aws-cdk-lib's Python interfaces are ``typing_extensions.Protocol`` classes (metaclass ``_ProtocolMeta``),
while its classes such as ``Resource`` have jsii's metaclass (``JSIIAbstractClass``). A class cannot have
both as bases unless its metaclass derives from both: ``class RunGroup(Resource, IRunGroup)`` fails with
"metaclass conflict" when ``IRunGroup`` is a plain protocol. ``jsii.implements(IResource)`` avoids the
conflict but only records the interface for the jsii kernel: type checkers would not see ``IRunGroup`` as an
``IResource``, and ``isinstance`` could not tell a run group from any other resource.

So each interface here is a runtime-checkable protocol that extends ``IResource`` and has
``ResourceProtocolMeta`` as its metaclass. A class that subclasses ``Resource`` and the interface then picks
that metaclass by itself (Python takes the most derived one), with no ``metaclass=`` of its own:

    class MyRunGroup(Resource, IRunGroup): ...

``isinstance(x, IRunGroup)`` is nominal for such classes (the ABC registry answers first), and structural
(every member present) for anything else.
"""

from __future__ import annotations

from aws_cdk import IResource, Resource


class ResourceProtocolMeta(type(Resource), type(IResource)):  # type: ignore[misc]
    """jsii's class metaclass and the protocol metaclass of aws-cdk-lib's interfaces, in one."""
