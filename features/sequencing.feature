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

  Rule: Each kind of previous treatment has its own minimum gap

    @rule:SEQ-GAP-AFTER-MDA
    Scenario: Microdermabrasion ten days ago delays the first peel to two weeks after it
      Given a client with no risk factors
      And the client had a "Crystal microdermabrasion" 10 days before the assessment
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the first session may not be before 2026-11-29

    @rule:SEQ-GAP-AFTER-ND-YAG
    Scenario: An Nd:YAG session a week ago delays the first peel to two weeks after it
      Given a client with no risk factors
      And the client had a "Nd:YAG 1064 nm laser" 1 week before the assessment
      When the protocol is applied
      Then the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-NAFL
    Scenario: A fractional laser a week ago delays a peel to four weeks after it
      Given a client with no risk factors
      And the client had a "Non-ablative fractional laser" 1 week before the assessment
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the first session may not be before 2026-12-16

    @rule:SEQ-REPEAT-NAFL
    Scenario: A new fractional laser course keeps two weeks after the last laser session
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
      And the client had a "Non-ablative fractional laser" 1 week before the assessment
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-MEDIUM-PEEL
    Scenario: A medium-depth peel four weeks ago delays the next treatment to six weeks after it
      Given a client with no risk factors
      And the client had a "Medium-depth trichloroacetic acid peel" 4 weeks before the assessment
      When the protocol is applied
      Then the first session may not be before 2026-12-09

    @rule:SEQ-REPEAT-ABLATIVE
    Scenario: Ablative resurfacing sessions are at least eight weeks apart
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
      And the client had a "Ablative fractional laser" 5 weeks before the assessment
      When the protocol is applied
      Then the planned technique is "Ablative fractional laser"
      And the first session may not be before 2026-12-16

    @rule:SEQ-REPEAT-MEDIUM-PEEL
    Scenario: Medium-depth peels are at least three months apart
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer     |
        | Age                | 24         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      And the client had a "Medium-depth trichloroacetic acid peel" 2 months before the assessment
      When the protocol is applied
      Then the planned technique is "Medium-depth trichloroacetic acid peel"
      And the first session may not be before 2026-12-25

  Rule: Injectables and hair removal in the weeks before delay the first session

    @rule:SEQ-GAP-AFTER-TOXIN
    Scenario: Botulinum toxin a week ago delays the first session to two weeks after the injection
      Given a client with no risk factors
      And the client's answers include:
        | question                       | answer                       |
        | Last botulinum toxin injection | 1 week before the assessment |
      When the protocol is applied
      Then the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-FILLER
    Scenario: A filler ten days ago delays the first session to two weeks after the injection
      Given a client with no risk factors
      And the client's answers include:
        | question                     | answer                        |
        | Last dermal filler injection | 10 days before the assessment |
      When the protocol is applied
      Then the first session may not be before 2026-11-29

    @rule:SEQ-GAP-AFTER-WAXING
    Scenario: Waxing three days ago delays the first peel to two weeks after it
      Given a client with no risk factors
      And the client's answers include:
        | question                         | answer                       |
        | Last facial waxing or depilation | 3 days before the assessment |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the first session may not be before 2026-12-06

    @rule:SEQ-GAP-AFTER-WAXING
    Scenario: Waxing does not delay a laser
      Given a client with no risk factors
      And the client's answers include:
        | question                         | answer                       |
        | Last facial waxing or depilation | 3 days before the assessment |
        | Pore causes                      | elasticity loss              |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the first session may not be before 2026-11-25

  Rule: Ablative resurfacing, medium peels and fractional lasers are not combined with other treatments on one day

    @rule:SEQ-NOT-SAME-DAY-ABLATIVE @rule:SEQ-SKIP-EXFOLIATION-ABLATIVE
    Scenario: Every ablative session carries its same-day restriction and is not exfoliated first
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
      When the protocol is applied
      Then every treatment session names the rule SEQ-NOT-SAME-DAY-ABLATIVE
      And the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-ABLATIVE

    @rule:SEQ-NOT-SAME-DAY-MEDIUM-PEEL
    Scenario: Every medium-depth peel session carries its same-day restriction
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer     |
        | Age                | 24         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      When the protocol is applied
      Then the planned technique is "Medium-depth trichloroacetic acid peel"
      And every treatment session names the rule SEQ-NOT-SAME-DAY-MEDIUM-PEEL
      And every treatment session names the rule SEQ-NOT-SAME-DAY-PEEL-MDA

    @rule:SEQ-NOT-SAME-DAY-NAFL-PEEL
    Scenario: Every fractional laser session carries the no-peel-on-the-same-day restriction
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And every treatment session names the rule SEQ-NOT-SAME-DAY-NAFL-PEEL

