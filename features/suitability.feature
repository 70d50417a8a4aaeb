Feature: Suitability and the choice of technique
  Among the techniques that are safe for the client, each one collects arguments for
  and against it from the client's pore causes, skin type, Fitzpatrick type, age and
  tolerance of downtime. The technique with the strongest support is chosen, and the
  plan says why it beat the others.

  Rule: The cause of the pores decides which family of techniques helps

    @rule:SUIT-SEBUM-SALICYLIC @rule:SUIT-OILY-SALICYLIC
    Scenario: Oily skin with pores from sebum and congestion gets a salicylic acid peel
      Given a client with no risk factors
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And "Salicylic acid peel" has an argument for it from SUIT-SEBUM-SALICYLIC
      And "Salicylic acid peel" has an argument for it from SUIT-OILY-SALICYLIC
      And the plan status is "ready"

    @rule:SUIT-SEBUM-AHA-MDA
    Scenario: Glycolic peels, microdermabrasion and Nd:YAG also help congested pores
      Given a client with no risk factors
      When the protocol is applied
      Then "Glycolic acid peel" has an argument for it from SUIT-SEBUM-AHA-MDA
      And "Diamond-tip microdermabrasion" has an argument for it from SUIT-SEBUM-AHA-MDA
      And "Salicylic acid peel" is ranked above "Glycolic acid peel"

    @rule:SUIT-ELASTICITY-LASERS
    Scenario: Pores from elasticity loss in a client in her fifties get a fractional laser
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer                      |
        | Age         | 55                          |
        | Pore causes | elasticity loss, sun damage |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And "Non-ablative fractional laser" has an argument for it from SUIT-ELASTICITY-LASERS

    @rule:SUIT-ELASTICITY-YAG-TCA
    Scenario: Nd:YAG and medium peels are arguments for pores from elasticity loss
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
      When the protocol is applied
      Then "Nd:YAG 1064 nm laser" has an argument for it from SUIT-ELASTICITY-YAG-TCA
      And "Medium-depth trichloroacetic acid peel" has an argument for it from SUIT-ELASTICITY-YAG-TCA

    @rule:SUIT-SUN-DAMAGE-GLYCOLIC
    Scenario: Sun damage is a weak argument for glycolic acid
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer     |
        | Pore causes | sun damage |
      When the protocol is applied
      Then "Glycolic acid peel" has an argument for it from SUIT-SUN-DAMAGE-GLYCOLIC

    @rule:SUIT-NO-PORE-CAUSE @rule:SUIT-NORMAL-ANY
    Scenario: A client with no identified pore cause and normal skin is not offered treatment
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer |
        | Pore causes | none   |
        | Skin type   | normal |
      When the protocol is applied
      Then the plan status is "not suitable"
      And no technique is planned
      And "Glycolic acid peel" has an argument against it from SUIT-NO-PORE-CAUSE
      And "Glycolic acid peel" has an argument for it from SUIT-NORMAL-ANY

  Rule: Darker skin and melasma favour gentle agents

    @rule:DER-PIH-HIGH
    Scenario: Fitzpatrick type V means a high risk of pigmentation
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 5      |
      When the protocol is applied
      Then the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH

    @rule:DER-PIH-HIGH
    Scenario: Melasma means a high risk of pigmentation whatever the skin type
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Melasma  | yes    |
      When the protocol is applied
      Then the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH

    @rule:DER-PIH-HIGH
    Scenario: Dark marks that lasted for months after acne mean a high risk of pigmentation
      Given a client with no risk factors
      And the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      When the protocol is applied
      Then the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH
      And the plan includes the step "Skin priming" because of REQ-PRIMING-PIH

    @rule:SUIT-PIH-HIGH-AGAINST @rule:SUIT-PIH-HIGH-FOR
    Scenario: Fitzpatrick type V with congested pores gets salicylic acid rather than glycolic acid
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer     |
        | Fitzpatrick skin type | 5          |
        | Pore causes           | congestion |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And "Glycolic acid peel" has an argument against it from SUIT-PIH-HIGH-AGAINST
      And "Salicylic acid peel" has an argument for it from SUIT-PIH-HIGH-FOR

  Rule: Skin type shapes the choice of peel

    @rule:SUIT-SENSITIVE-GENTLE @rule:SUIT-SENSITIVE-AGAINST
    Scenario: Sensitive skin with congested pores gets a mandelic acid peel
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer     |
        | Skin type   | sensitive  |
        | Pore causes | congestion |
      When the protocol is applied
      Then the planned technique is "Mandelic acid peel"
      And "Mandelic acid peel" has an argument for it from SUIT-SENSITIVE-GENTLE
      And "Glycolic acid peel" has an argument against it from SUIT-SENSITIVE-AGAINST

    @rule:SUIT-DRY-LACTIC
    Scenario: Dry skin is an argument for lactic acid
      Given a client with no risk factors
      And the client's answers include:
        | question  | answer |
        | Skin type | dry    |
      When the protocol is applied
      Then "Lactic acid peel" has an argument for it from SUIT-DRY-LACTIC

  Rule: Downtime and age weigh against the strongest techniques

    @rule:SUIT-NO-DOWNTIME
    Scenario: A client who accepts no downtime is steered away from a medium peel
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer |
        | Downtime tolerance | none   |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" has an argument against it from SUIT-NO-DOWNTIME

    @rule:SUIT-EXTENDED-DOWNTIME
    Scenario: A client in her fifties who accepts downtime is offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
      When the protocol is applied
      Then the planned technique is "Ablative fractional laser"
      And "Ablative fractional laser" has an argument for it from SUIT-EXTENDED-DOWNTIME

    @rule:SUIT-AGE-YOUNG-ABLATIVE
    Scenario: A client aged 22 is steered away from ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Age      | 22     |
      When the protocol is applied
      Then "Ablative fractional laser" has an argument against it from SUIT-AGE-YOUNG-ABLATIVE

  Rule: Jessner's peel, microdermabrasion and acne change the picture for some causes

    @rule:SUIT-SEBUM-JESSNER @rule:SUIT-OILY-GLYCOLIC-JESSNER
    Scenario: Jessner's and glycolic peels are also arguments for oily, congested pores
      Given a client with no risk factors
      When the protocol is applied
      Then "Jessner's solution peel" has an argument for it from SUIT-SEBUM-JESSNER
      And "Jessner's solution peel" has an argument for it from SUIT-OILY-GLYCOLIC-JESSNER
      And "Glycolic acid peel" has an argument for it from SUIT-OILY-GLYCOLIC-JESSNER
      And "Salicylic acid peel" is ranked above "Jessner's solution peel"

    @rule:SUIT-ELASTICITY-MDA @rule:SUIT-ELASTICITY-SUPERFICIAL-PEELS-AGAINST
    Scenario: Pores from elasticity loss favour microdermabrasion over superficial peels
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
      When the protocol is applied
      Then "Diamond-tip microdermabrasion" has an argument for it from SUIT-ELASTICITY-MDA
      And "Salicylic acid peel" has an argument against it from SUIT-ELASTICITY-SUPERFICIAL-PEELS-AGAINST
      And "Lactic acid peel" has an argument against it from SUIT-ELASTICITY-SUPERFICIAL-PEELS-AGAINST

    @rule:SUIT-ACNE-PEELS
    Scenario: Active acne is an argument for salicylic, mandelic and Jessner's peels
      Given a client with no risk factors
      And the client's answers include:
        | question                 | answer |
        | Active inflammatory acne | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" has an argument for it from SUIT-ACNE-PEELS
      And "Mandelic acid peel" has an argument for it from SUIT-ACNE-PEELS
      And "Jessner's solution peel" has an argument for it from SUIT-ACNE-PEELS

  Rule: Every technique has a verdict for every Fitzpatrick type

    @rule:SUIT-FST-I-III-GENTLE @rule:SUIT-FST-GLYCOLIC-I-IV @rule:SUIT-FST-LACTIC-MDA-I-III @rule:SUIT-FST-DEEP-I-III
    Scenario: Fitzpatrick type II skin is an argument for every technique
      Given a client with no risk factors
      When the protocol is applied
      Then "Salicylic acid peel" has an argument for it from SUIT-FST-I-III-GENTLE
      And "Non-ablative fractional laser" has an argument for it from SUIT-FST-I-III-GENTLE
      And "Glycolic acid peel" has an argument for it from SUIT-FST-GLYCOLIC-I-IV
      And "Lactic acid peel" has an argument for it from SUIT-FST-LACTIC-MDA-I-III
      And "Hydradermabrasion" has an argument for it from SUIT-FST-LACTIC-MDA-I-III
      And "Medium-depth trichloroacetic acid peel" has an argument for it from SUIT-FST-DEEP-I-III
      And "Ablative fractional laser" has an argument for it from SUIT-FST-DEEP-I-III

    @rule:SUIT-FST-GLYCOLIC-I-IV @rule:SUIT-PIH-HIGH-AGAINST
    Scenario: In Fitzpatrick type IV skin the safety of glycolic acid is weighed against the pigment risk
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 4      |
      When the protocol is applied
      Then "Glycolic acid peel" has an argument for it from SUIT-FST-GLYCOLIC-I-IV
      And "Glycolic acid peel" has an argument against it from SUIT-PIH-HIGH-AGAINST
      And "Ablative fractional laser" is excluded because of CI-DARK-SKIN-ABLATIVE

    @rule:SUIT-FST-LACTIC-MDA-IV-VI @rule:SUIT-FST-JESSNER-IV-VI @rule:SUIT-PIH-HIGH-FOR
    Scenario: Fitzpatrick type VI skin favours microdermabrasion and gentle peels over Jessner's
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 6      |
      When the protocol is applied
      Then "Crystal microdermabrasion" has an argument for it from SUIT-FST-LACTIC-MDA-IV-VI
      And "Lactic acid peel" has an argument for it from SUIT-FST-LACTIC-MDA-IV-VI
      And "Mandelic acid peel" has an argument for it from SUIT-PIH-HIGH-FOR
      And "Jessner's solution peel" has an argument against it from SUIT-FST-JESSNER-IV-VI
      And the planned technique is "Salicylic acid peel"

  Rule: Each skin type has its preferred peels

    @rule:SUIT-OILY-MEDIUM-PEEL-AGAINST
    Scenario: Thick, oily skin is an argument against a medium-depth peel
      Given a client with no risk factors
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" has an argument against it from SUIT-OILY-MEDIUM-PEEL-AGAINST

    @rule:SUIT-COMBINATION-JESSNER @rule:SUIT-OILY-SALICYLIC
    Scenario: Combination skin favours salicylic acid and a blended Jessner's peel
      Given a client with no risk factors
      And the client's answers include:
        | question  | answer      |
        | Skin type | combination |
      When the protocol is applied
      Then "Jessner's solution peel" has an argument for it from SUIT-COMBINATION-JESSNER
      And "Salicylic acid peel" has an argument for it from SUIT-OILY-SALICYLIC
      And the planned technique is "Salicylic acid peel"

    @rule:SUIT-DRY-MANDELIC-GLYCOLIC @rule:SUIT-DRY-AGAINST @rule:SUIT-DRY-LACTIC
    Scenario: Dry skin favours lactic, mandelic and mild glycolic peels over salicylic acid
      Given a client with no risk factors
      And the client's answers include:
        | question  | answer |
        | Skin type | dry    |
      When the protocol is applied
      Then "Mandelic acid peel" has an argument for it from SUIT-DRY-MANDELIC-GLYCOLIC
      And "Glycolic acid peel" has an argument for it from SUIT-DRY-MANDELIC-GLYCOLIC
      And "Salicylic acid peel" has an argument against it from SUIT-DRY-AGAINST
      And "Ablative fractional laser" has an argument against it from SUIT-DRY-AGAINST

  Rule: A client who accepts no downtime is steered to techniques that leave hours of redness at most

    @rule:SUIT-NONE-DOWNTIME-SHORT
    Scenario: No downtime at all is an argument against peels that scale for days
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer |
        | Downtime tolerance | none   |
      When the protocol is applied
      Then "Salicylic acid peel" has an argument against it from SUIT-NONE-DOWNTIME-SHORT
      And "Non-ablative fractional laser" has an argument against it from SUIT-NONE-DOWNTIME-SHORT
      And "Glycolic acid peel" has an argument against it from SUIT-NONE-DOWNTIME-SHORT

