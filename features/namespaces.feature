Feature: Namespaces: a default ServiceAccount each, and termination
  Every namespace gets its default ServiceAccount from the serviceaccount controller. A deleted
  namespace goes Terminating: nothing new may be created in it, the namespace controller deletes
  what is in it, and once it is empty removes its kubernetes finalizer; only then is it gone.

  Background:
    Given a cluster with nodes "node01" and "node02"

  Scenario: A deleted namespace refuses new pods, is emptied, then goes
    Given a namespace "doomed" with a pod "inside" Running on the node "node01"
    Then the namespace "doomed" has the ServiceAccount "default"
    When I delete the namespace "doomed"
    Then the namespace "doomed" is Terminating
    And creating a pod "late" in the namespace "doomed" is refused with 403 Forbidden: "pods "late" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    And the namespace "doomed" is gone
