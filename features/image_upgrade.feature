Feature: Image upgrade: a changed image restarts the container with it
  With the replica count unchanged, a new image makes the kubelet kill the container and start it
  again from the new image (the note after the tutorial's step 13).

  Background:
    Given a cluster with nodes "node01" and "node02"

  @UP-01 @UP-02
  Scenario: Changing the image restarts the container with the new image
    Given a pod "web" Running on the node "node01"
    When I run "kubectl set image pod/web app=busybox:1.37"
    Then the container "app" of the pod "web" runs the image "busybox:1.37" after 1 restart
    And the pod "web" has a Normal event Killing from kubelet: "Container app definition changed, will be restarted"
    And the pod "web" went through the steps UP-01, UP-02, LW-12, LW-13 in order
