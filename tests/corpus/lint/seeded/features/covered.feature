Feature: Only a few of the seeded rules have scenarios

  @rule:CI-BROAD @rule:CI-NARROW
  Scenario: Darker skin excludes the laser
    Given a client

  @rule:SUIT-DUP-A
  Scenario: Oily skin
    Given a client
