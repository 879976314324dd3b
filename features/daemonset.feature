Feature: DaemonSets: the daemonset controller runs a pod on every node that fits
  A DaemonSet has one pod on each node that its template fits (nodeName, nodeSelector, required
  node affinity, taints against its tolerations). The daemonset controller creates each pod from
  the template (named after the DaemonSet, owned by it) with a required node affinity on the
  node's metadata.name, the daemon tolerations and the controller-revision-hash and
  pod-template-generation labels, and the default scheduler binds it to that node. A node that
  comes to fit gets its pod, one that no longer fits loses it, a deleted pod is replaced. A
  changed template is a new ControllerRevision: RollingUpdate replaces the pods node by node
  within maxUnavailable, OnDelete only as they are deleted.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: A DaemonSet runs one pod on each node, pinned there by node affinity
    When I create a daemon set "agent" running "sleep 3600"
    Then the daemon set "agent" runs one pod on each of the nodes "node01" and "node02"
    And each pod of the daemon set "agent" is pinned to its node, tolerates the node conditions and carries the revision labels
    And the daemon set "agent" has revision 1 as a ControllerRevision
    And the daemon set "agent" reports all its pods scheduled, ready, available and up to date
    And the daemon set "agent" has a Normal event SuccessfulCreate for each of its pods from daemonset-controller

  Scenario: With a nodeSelector only the labelled nodes run the pod; labels added or removed later count
    Given the node "node01" has the labels ds-agent=yes
    When I create a daemon set "agent" running "sleep 3600" with the nodeSelector ds-agent=yes
    Then the daemon set "agent" runs one pod on each of the nodes "node01"
    When I label the node "node02" ds-agent=yes
    Then the daemon set "agent" runs one pod on each of the nodes "node01" and "node02"
    When I remove the label ds-agent from the node "node01"
    Then the daemon set "agent" runs one pod on each of the nodes "node02"
    And the daemon set "agent" has a Normal event SuccessfulDelete from daemonset-controller

  Scenario: A daemon pod that is deleted is replaced on its node
    When I create a daemon set "agent" running "sleep 3600"
    Then the daemon set "agent" runs one pod on each of the nodes "node01" and "node02"
    When I delete the pod of the daemon set "agent" on the node "node01"
    Then the daemon set "agent" runs a new pod on the node "node01"

  Scenario: Pods it created but has not seen yet are not created again
    Given the controller manager has lost its watch of pods
    When I create a daemon set "agent" running "sleep 3600"
    Then the daemon set "agent" has created 2 pods and waits to see them
    When the controller manager watches pods again
    Then the daemon set "agent" runs one pod on each of the nodes "node01" and "node02"
    And the daemon set "agent" reports all its pods scheduled, ready, available and up to date

  Scenario: RollingUpdate replaces every pod with one of the new revision
    When I create a daemon set "agent" running "sleep 3600"
    Then the daemon set "agent" reports all its pods scheduled, ready, available and up to date
    When I change the command of the daemon set "agent" to "sleep 7200"
    Then every pod of the daemon set "agent" runs "sleep 7200" with the pod-template-generation 2
    And the daemon set "agent" has revision 2 as a ControllerRevision
    And the daemon set "agent" reports all its pods scheduled, ready, available and up to date

  Scenario: OnDelete replaces a pod of an old revision only once it is deleted
    When I create a daemon set "agent" running "sleep 3600" with the update strategy OnDelete
    Then the daemon set "agent" reports all its pods scheduled, ready, available and up to date
    When I change the command of the daemon set "agent" to "sleep 7200"
    Then the daemon set "agent" has 0 pods up to date
    When I delete the pod of the daemon set "agent" on the node "node01"
    Then the daemon set "agent" has 1 pods up to date

  Scenario: A DaemonSet deleted in the foreground goes with its pods and revisions
    When I create a daemon set "agent" running "sleep 3600"
    Then the daemon set "agent" runs one pod on each of the nodes "node01" and "node02"
    When I delete the daemon set "agent" in the foreground
    Then the daemon set "agent", its pods and its revisions are gone
