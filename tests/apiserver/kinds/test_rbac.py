"""RoleBindings and ClusterRoleBindings: subject defaults, references, and a fixed roleRef."""

from __future__ import annotations

from listwatch.apiserver.kinds import rbac

REF = {"apiGroup": rbac.GROUP, "kind": "Role", "name": "reader"}


def test_user_and_group_subjects_default_to_the_rbac_group() -> None:
    written = rbac.binding_on_write(
        {"subjects": [{"kind": "User", "name": "a"}, {"kind": "ServiceAccount", "name": "b"}]}
    )
    assert written["subjects"] == [
        {"kind": "User", "name": "a", "apiGroup": rbac.GROUP},
        {"kind": "ServiceAccount", "name": "b"},
    ]


def test_a_cluster_role_binding_may_only_name_a_cluster_role() -> None:
    binding = {"kind": "ClusterRoleBinding", "metadata": {"name": "b"}, "roleRef": REF}
    assert rbac.validate_binding(binding) == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'
    ]


def test_subjects_need_a_known_kind_and_a_name() -> None:
    binding = {
        "kind": "RoleBinding",
        "metadata": {"name": "b"},
        "roleRef": REF,
        "subjects": [{"kind": "Robot"}],
    }
    assert rbac.validate_binding(binding) == [
        "subjects[0].name: Required value",
        'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", '
        '"User", "Group"',
    ]


def test_the_role_reference_cannot_change() -> None:
    old = {"kind": "RoleBinding", "metadata": {"name": "b"}, "roleRef": REF}
    new = {**old, "roleRef": {**REF, "name": "writer"}}
    assert rbac.validate_binding_update(old, new) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
        'Name:"writer"}: cannot change roleRef'
    ]
