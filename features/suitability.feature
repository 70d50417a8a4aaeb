Feature: Choosing a technique
  A technique is a candidate only when it treats the cause of the client's pores: at least one
  of its cause arguments (a suitability rule about the pore causes alone) holds, it is neither
  excluded nor waiting for an answer, and its score is positive. Fitzpatrick type, skin type,
  age, downtime, acne, melasma and a rosacea tendency add to or take from the score of an
  indicated technique, but never indicate one on their own. Candidates are ranked by fewer
  cautions, then the higher score, then the less invasive technique: ties never go to the
  deeper technique.

  Background:
    Given a client with these answers:
      | question                                                     | answer                   |
      | Assessment date                                              | 2026-11-25               |
      | Age                                                          | 30                       |
      | Pore causes                                                  | excess sebum, congestion |
      | Sex at birth                                                 | female                   |
      | Pregnant                                                     | no                       |
      | Breastfeeding                                                | no                       |
      | Fitzpatrick skin type                                        | 2                        |
      | Skin type                                                    | oily                     |
      | Downtime tolerance                                           | short                    |
      | Active infection in the area                                 | no                       |
      | Open wounds                                                  | no                       |
      | Skin cancer or suspicious lesion in the area                 | no                       |
      | Unrealistic expectations or unable to follow aftercare       | no                       |
      | Last tan or sunburn                                          | never                    |
      | Last unprotected sun exposure                                | never                    |
      | Photosensitising medicines                                   | none                     |
      | Last dose of a photosensitising antibiotic or other medicine | never                    |
      | Last St John's wort                                          | never                    |
      | Salicylate or aspirin allergy                                | no                       |
      | Keloid or hypertrophic scarring                              | no                       |
      | Eczema or dermatitis                                         | no                       |
      | Active rosacea                                               | no                       |
      | Rosacea-prone skin                                           | no                       |
      | Active inflammatory acne                                     | no                       |
      | Anticoagulant use                                            | no                       |
      | Weakened immunity                                            | no                       |
      | Autoimmune or connective-tissue disease                      | none                     |
      | Diabetes                                                     | none                     |
      | Facial radiotherapy                                          | no                       |
      | Last facial surgery                                          | never                    |
      | Melasma                                                      | no                       |
      | Vitiligo                                                     | no                       |
      | History of lasting dark marks                                | no                       |
      | Last oral isotretinoin dose                                  | never                    |
      | Last topical retinoid use                                    | never                    |
      | Cold sore history                                            | no                       |
      | Smoker                                                       | no                       |
      | Non-prescribed blood-thinning medicines or supplements       | no                       |
      | Epilepsy or light-triggered seizures                         | no                       |
      | Previous treatments                                          | none                     |
      | Last facial waxing or depilation                             | never                    |
      | Last botulinum toxin injection                               | never                    |
      | Last dermal filler injection                                 | never                    |

  Rule: Pores from sebum or congestion are treated first with a salicylic acid peel

    @rule:SUIT-CAUSE-SEBUM-SALICYLIC @rule:SUIT-OILY-SALICYLIC @rule:SUIT-FST-I-III-GENTLE
    Scenario: Oily skin with pores from sebum and congestion gets a salicylic acid peel
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And "Salicylic acid peel" is a candidate, indicated by SUIT-CAUSE-SEBUM-SALICYLIC
      And "Salicylic acid peel" has an argument for it from SUIT-OILY-SALICYLIC
      And "Salicylic acid peel" has an argument for it from SUIT-FST-I-III-GENTLE

    @rule:SUIT-CAUSE-SEBUM-AHA-JESSNER @rule:SUIT-CAUSE-SEBUM-MDA @rule:SUIT-CAUSE-SEBUM-ND-YAG @rule:SUIT-CAUSE-SEBUM-LACTIC @rule:SUIT-OILY-GLYCOLIC-JESSNER
    Scenario: Glycolic, mandelic, Jessner's and lactic peels, microdermabrasion and carbon-assisted Nd:YAG are the alternatives for congested pores
      When the protocol is applied
      Then "Glycolic acid peel" is a candidate, indicated by SUIT-CAUSE-SEBUM-AHA-JESSNER
      And "Jessner's solution peel" is a candidate, indicated by SUIT-CAUSE-SEBUM-AHA-JESSNER
      And "Lactic acid peel" is a candidate, indicated by SUIT-CAUSE-SEBUM-LACTIC
      And "Diamond-tip microdermabrasion" is a candidate, indicated by SUIT-CAUSE-SEBUM-MDA
      And "Nd:YAG 1064 nm laser" is a candidate, indicated by SUIT-CAUSE-SEBUM-ND-YAG
      And "Glycolic acid peel" has an argument for it from SUIT-OILY-GLYCOLIC-JESSNER
      And "Salicylic acid peel" is ranked above "Glycolic acid peel"

    @rule:SUIT-CAUSE-SEBUM-SALICYLIC
    Scenario: Fractional lasers, ablative resurfacing and medium peels are not indicated for congested pores
      When the protocol is applied
      Then "Non-ablative fractional laser" is not indicated for this pore cause
      And "Ablative fractional laser" is not indicated for this pore cause
      And "Medium-depth trichloroacetic acid peel" is not indicated for this pore cause

    @rule:REQ-ND-YAG-PROTOCOL-CARBON
    Scenario: For congested pores the practitioner's choice of Nd:YAG is the carbon-assisted Q-switched protocol
      Given the practitioner asks for "Nd:YAG 1064 nm laser"
      When the protocol is applied
      Then the plan chooses "Nd:YAG 1064 nm laser"
      And the plan includes the step "Nd:YAG protocol: carbon-assisted Q-switched" because of REQ-ND-YAG-PROTOCOL-CARBON

  Rule: Pores from elasticity loss or sun damage are treated first with a non-ablative fractional laser

    @rule:SUIT-CAUSE-DERMAL-NAFL @rule:SUIT-CAUSE-DERMAL-ND-YAG @rule:SUIT-CAUSE-DERMAL-ABLATIVE @rule:SUIT-CAUSE-DERMAL-MDA @rule:SUIT-CAUSE-DERMAL-TCA @rule:SUIT-NORMAL-ANY
    Scenario: A 55-year-old with lax pores gets a non-ablative fractional laser, ahead of Nd:YAG and ablative resurfacing
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Non-ablative fractional laser" is a candidate, indicated by SUIT-CAUSE-DERMAL-NAFL
      And "Nd:YAG 1064 nm laser" is a candidate, indicated by SUIT-CAUSE-DERMAL-ND-YAG
      And "Ablative fractional laser" has an argument for it from SUIT-CAUSE-DERMAL-ABLATIVE
      And "Diamond-tip microdermabrasion" is a candidate, indicated by SUIT-CAUSE-DERMAL-MDA
      And "Medium-depth trichloroacetic acid peel" has an argument for it from SUIT-CAUSE-DERMAL-TCA
      And "Non-ablative fractional laser" has an argument for it from SUIT-NORMAL-ANY
      And "Non-ablative fractional laser" is ranked above "Ablative fractional laser"

    @rule:SUIT-CAUSE-DERMAL-SUPERFICIAL-PEELS-AGAINST
    Scenario: Superficial peels are not indicated for pores from sun damage
      Given the client's answers include:
        | question    | answer     |
        | Age         | 45         |
        | Pore causes | sun damage |
        | Skin type   | normal     |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And "Glycolic acid peel" has an argument against it from SUIT-CAUSE-DERMAL-SUPERFICIAL-PEELS-AGAINST
      And "Glycolic acid peel" is not indicated for this pore cause
      And "Salicylic acid peel" is not indicated for this pore cause

    @rule:SUIT-CAUSE-DERMAL-ND-YAG
    Scenario: Pores from both sebum and lost elasticity: Nd:YAG treats both and ties with the salicylic peel, so the less invasive Nd:YAG is chosen
      Given the client's answers include:
        | question    | answer                                    |
        | Age         | 45                                        |
        | Pore causes | excess sebum, congestion, elasticity loss |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And "Nd:YAG 1064 nm laser" is a candidate, indicated by SUIT-CAUSE-SEBUM-ND-YAG
      And "Nd:YAG 1064 nm laser" is a candidate, indicated by SUIT-CAUSE-DERMAL-ND-YAG
      And the plan includes the step "Nd:YAG protocol: carbon-assisted Q-switched" because of REQ-ND-YAG-PROTOCOL-CARBON

    @rule:REQ-ND-YAG-PROTOCOL-LONG-PULSED @rule:SUIT-NONE-DOWNTIME-SHORT
    Scenario: A client with lax pores who accepts no downtime gets long-pulsed Nd:YAG, which ties with the fractional laser and is less invasive
      Given the client's answers include:
        | question           | answer          |
        | Age                | 50              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | none            |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And "Non-ablative fractional laser" has an argument against it from SUIT-NONE-DOWNTIME-SHORT
      And the plan includes the step "Nd:YAG protocol: long-pulsed" because of REQ-ND-YAG-PROTOCOL-LONG-PULSED

  Rule: Accepting downtime permits a deeper treatment but never makes one first choice

    @rule:SUIT-AGE-YOUNG-ABLATIVE @rule:SUIT-FST-DEEP-I-III
    Scenario: A 24-year-old with sun damage who accepts downtime gets a non-ablative fractional laser, not a medium peel
      Given the client's answers include:
        | question           | answer     |
        | Age                | 24         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Ablative fractional laser" has an argument against it from SUIT-AGE-YOUNG-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" has an argument for it from SUIT-FST-DEEP-I-III
      And none of these is the planned technique: Medium-depth trichloroacetic acid peel, Ablative fractional laser

    @rule:SUIT-NO-DOWNTIME
    Scenario: A client who accepts only short downtime is steered away from a medium peel and ablative resurfacing
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" has an argument against it from SUIT-NO-DOWNTIME
      And "Ablative fractional laser" has an argument against it from SUIT-NO-DOWNTIME

    @rule:SUIT-CAUSE-DERMAL-ABLATIVE
    Scenario: A 62-year-old with lax pores who accepts downtime still gets the non-ablative laser first; ablative is second line
      Given the client's answers include:
        | question              | answer          |
        | Age                   | 62              |
        | Fitzpatrick skin type | 3               |
        | Pore causes           | elasticity loss |
        | Skin type             | normal          |
        | Downtime tolerance    | extended        |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Ablative fractional laser" is a candidate, indicated by SUIT-CAUSE-DERMAL-ABLATIVE
      And "Non-ablative fractional laser" is ranked above "Ablative fractional laser"

  Rule: No identified cause, no technique

    @rule:REQ-CONSULTATION
    Scenario: A client whose pores have no identified cause is offered no technique
      Given the client's answers include:
        | question    | answer |
        | Pore causes | none   |
        | Skin type   | normal |
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan chooses "no technique"
      And "Salicylic acid peel" is not indicated for this pore cause
      And "Non-ablative fractional laser" is not indicated for this pore cause

  Rule: Pigment-prone skin favours the gentler agents

    @rule:DER-PIH-HIGH @rule:SUIT-PIH-HIGH-FOR @rule:SUIT-FST-GLYCOLIC-V-VI-AGAINST
    Scenario: Fitzpatrick type V with congested pores gets salicylic acid rather than glycolic acid
      Given the client's answers include:
        | question              | answer      |
        | Fitzpatrick skin type | 5           |
        | Skin type             | combination |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH
      And "Salicylic acid peel" has an argument for it from SUIT-PIH-HIGH-FOR
      And "Glycolic acid peel" has an argument against it from SUIT-FST-GLYCOLIC-V-VI-AGAINST

    @rule:DER-PIH-HIGH
    Scenario: Melasma means a high risk of pigmentation whatever the Fitzpatrick type
      Given the client's answers include:
        | question | answer |
        | Melasma  | yes    |
      When the protocol is applied
      Then the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH

    @rule:SUIT-FST-GLYCOLIC-I-IV
    Scenario: In Fitzpatrick type IV glycolic acid is still argued for; the salicylic peel is chosen
      Given the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 4      |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And "Glycolic acid peel" has an argument for it from SUIT-FST-GLYCOLIC-I-IV

    @rule:SUIT-PIH-HIGH-JESSNER-AGAINST @rule:SUIT-FST-LACTIC-MDA-IV-VI @rule:SUIT-PIH-HIGH-AGAINST
    Scenario: Fitzpatrick type VI favours gentle peels and microdermabrasion over Jessner's and a medium peel
      Given the client's answers include:
        | question              | answer       |
        | Fitzpatrick skin type | 6            |
        | Pore causes           | excess sebum |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And "Jessner's solution peel" has an argument against it from SUIT-PIH-HIGH-JESSNER-AGAINST
      And "Diamond-tip microdermabrasion" has an argument for it from SUIT-FST-LACTIC-MDA-IV-VI
      And "Medium-depth trichloroacetic acid peel" has an argument against it from SUIT-PIH-HIGH-AGAINST

    @rule:SUIT-PIH-HIGH-JESSNER-AGAINST
    Scenario: Lasting dark marks in Fitzpatrick III argue against Jessner's peel as darker skin does
      Given the client's answers include:
        | question                      | answer |
        | Fitzpatrick skin type         | 3      |
        | History of lasting dark marks | yes    |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the derived fact "Risk of post-inflammatory hyperpigmentation" is "high" because of DER-PIH-HIGH
      And "Jessner's solution peel" has an argument against it from SUIT-PIH-HIGH-JESSNER-AGAINST

    @rule:SUIT-MELASMA-NAFL-AGAINST
    Scenario: With melasma the fractional laser is second line behind low-fluence Nd:YAG
      Given the client's answers include:
        | question              | answer     |
        | Age                   | 45         |
        | Fitzpatrick skin type | 3          |
        | Pore causes           | sun damage |
        | Skin type             | normal     |
        | Melasma               | yes        |
      When the protocol is applied
      Then the plan chooses "Nd:YAG 1064 nm laser"
      And "Non-ablative fractional laser" has an argument against it from SUIT-MELASMA-NAFL-AGAINST
      And "Nd:YAG 1064 nm laser" is ranked above "Non-ablative fractional laser"

    @rule:SUIT-FST-LACTIC-MDA-I-III
    Scenario: In Fitzpatrick type II lactic acid and microdermabrasion are argued for
      When the protocol is applied
      Then "Lactic acid peel" has an argument for it from SUIT-FST-LACTIC-MDA-I-III
      And "Crystal microdermabrasion" has an argument for it from SUIT-FST-LACTIC-MDA-I-III

  Rule: Skin type, acne and a rosacea tendency shape the choice of peel

    @rule:SUIT-SENSITIVE-GENTLE @rule:SUIT-SENSITIVE-AGAINST @rule:SUIT-ROSACEA-TENDENCY-GENTLE
    Scenario: Sensitive, rosacea-prone skin with congested pores gets a mandelic peel
      Given the client's answers include:
        | question              | answer     |
        | Fitzpatrick skin type | 1          |
        | Skin type             | sensitive  |
        | Pore causes           | congestion |
        | Downtime tolerance    | none       |
        | Rosacea-prone skin    | yes        |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Mandelic acid peel"
      And "Mandelic acid peel" has an argument for it from SUIT-SENSITIVE-GENTLE
      And "Mandelic acid peel" has an argument for it from SUIT-ROSACEA-TENDENCY-GENTLE
      And "Glycolic acid peel" has an argument against it from SUIT-SENSITIVE-AGAINST

    @rule:SUIT-DRY-LACTIC @rule:SUIT-DRY-MANDELIC-GLYCOLIC @rule:SUIT-DRY-AGAINST
    Scenario: Dry skin ties mandelic, lactic and glycolic peels; the least invasive, mandelic, is chosen
      Given the client's answers include:
        | question  | answer |
        | Skin type | dry    |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Mandelic acid peel"
      And "Lactic acid peel" has an argument for it from SUIT-DRY-LACTIC
      And "Mandelic acid peel" has an argument for it from SUIT-DRY-MANDELIC-GLYCOLIC
      And "Salicylic acid peel" has an argument against it from SUIT-DRY-AGAINST
      And "Mandelic acid peel" is ranked above "Glycolic acid peel"

    @rule:SUIT-COMBINATION-JESSNER
    Scenario: Combination skin favours salicylic acid and a blended Jessner's peel
      Given the client's answers include:
        | question  | answer      |
        | Skin type | combination |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And "Jessner's solution peel" has an argument for it from SUIT-COMBINATION-JESSNER

    @rule:SUIT-OILY-MEDIUM-PEEL-AGAINST
    Scenario: Thick, oily skin with lax pores is steered away from a medium peel
      Given the client's answers include:
        | question    | answer                        |
        | Age         | 55                            |
        | Pore causes | excess sebum, elasticity loss |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" has an argument against it from SUIT-OILY-MEDIUM-PEEL-AGAINST
      And none of these is the planned technique: Medium-depth trichloroacetic acid peel

    @rule:SUIT-ACNE-PEELS
    Scenario: Active acne adds an argument for salicylic, mandelic and Jessner's peels
      Given the client's answers include:
        | question                 | answer |
        | Active inflammatory acne | yes    |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And "Mandelic acid peel" has an argument for it from SUIT-ACNE-PEELS
      And "Jessner's solution peel" has an argument for it from SUIT-ACNE-PEELS
