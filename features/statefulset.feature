Feature: StatefulSets: ordered pods with stable names, claims and revisions
  The statefulset controller gives each pod of a StatefulSet a stable identity: its name
  <set>-<ordinal>, its hostname, its subdomain (serviceName) and one PersistentVolumeClaim per
  volumeClaimTemplate, named <template>-<set>-<ordinal>. With OrderedReady it creates the pods one
  at a time, each once the one before it is Running and Ready, and deletes them from the highest
  ordinal down; with Parallel it creates them all at once. A new pod template is a new revision
  (a ControllerRevision): RollingUpdate replaces the pods from the highest ordinal down to the
  partition. Each pod it creates or deletes is an Event in v1.32's words.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: A StatefulSet creates its pods in order, each once the one before it is Ready
    When I create a stateful set "web" with 3 replicas
    Then the stateful set "web" has 3 ready replicas at one revision
    And the pods of "web" are web-0, web-1, web-2, each created once the one before it was Ready
    And each pod of "web" has its stable identity, its revision and the set as its owner
    And the stateful set "web" has the events "create Pod web-0 in StatefulSet web successful", "create Pod web-1 in StatefulSet web successful", "create Pod web-2 in StatefulSet web successful"

  Scenario: A pod that never gets Ready holds back the pods after it
    When I create a stateful set "web" with 3 replicas of the image "busybox:0.0-no-such-tag"
    Then the pods of "web" are only web-0 for 10 seconds

  Scenario: A Parallel StatefulSet creates every pod at once
    When I create a Parallel stateful set "web" with 3 replicas of the image "busybox:0.0-no-such-tag"
    Then the pods of "web" are web-0, web-1, web-2

  Scenario: Scaling down deletes the pods from the highest ordinal down
    When I create a stateful set "web" with 3 replicas
    And the stateful set "web" has 3 ready replicas at one revision
    And I scale the stateful set "web" to 1 replica
    Then the pods of "web" are web-0
    And the stateful set "web" has the events "delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful"

  Scenario: A deleted pod comes back with the same name
    When I create a stateful set "web" with 2 replicas
    And the stateful set "web" has 2 ready replicas at one revision
    And I delete web-1, a pod of the stateful set "web"
    Then web-1 of "web" is created again with the same name and Ready

  Scenario: A rolling update replaces the pods from the highest ordinal down
    When I create a stateful set "web" with 3 replicas
    And the stateful set "web" has 3 ready replicas at one revision
    And I set the image of the stateful set "web" to "busybox:1.37"
    Then the stateful set "web" has 3 ready replicas at one revision
    And every pod of "web" runs "busybox:1.37"
    And the stateful set "web" has the events "delete Pod web-2 in StatefulSet web successful", "delete Pod web-1 in StatefulSet web successful", "delete Pod web-0 in StatefulSet web successful"

  Scenario: A partition keeps the pods below it at the current revision
    When I create a stateful set "web" with 3 replicas and the partition 2
    And the stateful set "web" has 3 ready replicas at one revision
    And I set the image of the stateful set "web" to "busybox:1.37"
    Then the stateful set "web" has 1 updated and 2 current replicas
    And of "web", web-2 runs "busybox:1.37" and the others "busybox:1.36"

  Scenario: Each pod gets its own claim, made before it, that outlives it
    When I create a stateful set "web" with 2 replicas and the volume claim template "www"
    Then the stateful set "web" has 2 ready replicas at one revision
    And the claims www-web-0 and www-web-1 exist, Pending, each mounted by its pod
    When I scale the stateful set "web" to 0 replicas
    Then the pods of "web" are none
    And the claims www-web-0 and www-web-1 still exist, Pending

  Scenario: A StatefulSet deleted in the foreground waits for its pods
    When I create a stateful set "web" with 2 replicas
    And the stateful set "web" has 2 ready replicas at one revision
    And I delete the stateful set "web" in the foreground
    Then the stateful set "web" and its pods are gone
