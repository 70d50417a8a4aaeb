Feature: Sequencing and timing
  Sessions follow their technique's interval, a new course waits long enough after a
  previous treatment, and steps that would deepen a treatment are left out.

  Rule: A new course waits after a recent resurfacing treatment

    @rule:SEQ-GAP-AFTER-RESURFACING
    Scenario: A peel one week ago delays the first session by two weeks from that peel
      Given a client with no risk factors
      And the client had a "Salicylic acid peel" 1 week before the assessment
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the first session may not be before 2026-12-02
      And the first session is on 2026-12-02

    @rule:SEQ-GAP-AFTER-ABLATIVE
    Scenario: Ablative resurfacing three weeks ago delays the next course to four weeks after it
      Given a client with no risk factors
      And the client had a "Ablative fractional laser" 3 weeks before the assessment
      When the protocol is applied
      Then the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-RESURFACING
    Scenario: A peel two months ago does not delay the course
      Given a client with no risk factors
      And the client had a "Glycolic acid peel" 2 months before the assessment
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the first session is on 2026-11-26

  Rule: Sessions keep to the technique's interval

    @rule:SUIT-SEBUM-SALICYLIC
    Scenario: Salicylic acid peels are dated two weeks apart from the requested start
      Given a client with no risk factors
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the first session is on 2026-12-01
      And the sessions are 2 weeks apart

  Rule: Exfoliation is skipped when it would add irritation or deepen the treatment

    @rule:SEQ-SKIP-EXFOLIATION-EXFOLIANT
    Scenario: No separate exfoliation before a peel
      Given a client with no risk factors
      When the protocol is applied
      Then the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-EXFOLIANT

    @rule:REQ-EXFOLIATE-BEFORE-LASER
    Scenario: A gentle exfoliation comes before a non-ablative laser
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan includes the step "Gentle enzyme exfoliation" because of REQ-EXFOLIATE-BEFORE-LASER

    @rule:SEQ-SKIP-EXFOLIATION-SENSITIVE
    Scenario: Sensitive skin is not exfoliated before a laser
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
        | Skin type   | sensitive       |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-SENSITIVE
      And the plan does not include the step "Gentle enzyme exfoliation"

  Rule: Peels and microdermabrasion are not combined on the same day

    @rule:SEQ-NOT-SAME-DAY-PEEL-MDA
    Scenario: Every peel session carries the same-day restriction
      Given a client with no risk factors
      When the protocol is applied
      Then every treatment session names the rule SEQ-NOT-SAME-DAY-PEEL-MDA
