Feature: Contraindications
  A technique with an absolute contraindication is never planned. A relative
  contraindication allows the technique only after a practitioner has reviewed it,
  so the plan asks for that review.

  Rule: Infection and broken skin rule out every technique

    @rule:CI-ACTIVE-INFECTION
    Scenario: A client with an active cold sore is not treated until it has healed
      Given a client with no risk factors
      And the client's answers include:
        | question                     | answer |
        | Active infection in the area | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-ACTIVE-INFECTION
      And "Ablative fractional laser" is excluded because of CI-ACTIVE-INFECTION
      And no technique is planned

    @rule:CI-OPEN-WOUNDS
    Scenario: A client with broken skin in the area is not treated
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer |
        | Open wounds | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Diamond-tip microdermabrasion" is excluded because of CI-OPEN-WOUNDS

  Rule: Pregnancy and breastfeeding defer most treatments

    @rule:CI-PREGNANCY-DEFER
    Scenario: A pregnant client is not offered salicylic peels, lasers or microdermabrasion
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Pregnant | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-PREGNANCY-DEFER
      And "Non-ablative fractional laser" is excluded because of CI-PREGNANCY-DEFER
      And "Crystal microdermabrasion" is excluded because of CI-PREGNANCY-DEFER

    @rule:CI-PREGNANCY-DEFER
    Scenario: A breastfeeding client is not offered a medium-depth peel
      Given a client with no risk factors
      And the client's answers include:
        | question      | answer |
        | Breastfeeding | yes    |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" is excluded because of CI-PREGNANCY-DEFER

    @rule:CI-PREGNANCY-AHA-REVIEW
    Scenario: A glycolic peel for a pregnant client needs a practitioner's review
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Pregnant | yes    |
      When the protocol is applied
      Then the planned technique is "Glycolic acid peel"
      And the plan cautions about "Glycolic acid peel" because of CI-PREGNANCY-AHA-REVIEW
      And the plan status is "needs review"

  Rule: Recent isotretinoin rules out deep wounding and asks for review of the rest

    @rule:CI-ISOTRETINOIN-ABLATIVE
    Scenario: Isotretinoin three months ago rules out ablative resurfacing for six months after the last dose
      Given a client with no risk factors
      And the client's answers include:
        | question                   | answer                          |
        | Last oral isotretinoin dose | 3 months before the assessment |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Ablative fractional laser" may be reconsidered from 2027-02-25

    @rule:CI-ISOTRETINOIN-ABLATIVE
    Scenario: Isotretinoin seven months ago no longer rules out ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question                   | answer                          |
        | Last oral isotretinoin dose | 7 months before the assessment |
      When the protocol is applied
      Then "Ablative fractional laser" is not excluded

    @rule:CI-ISOTRETINOIN-SUPERFICIAL-REVIEW
    Scenario: A superficial peel soon after isotretinoin is allowed after review
      Given a client with no risk factors
      And the client's answers include:
        | question                   | answer                          |
        | Last oral isotretinoin dose | 3 months before the assessment |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-ISOTRETINOIN-SUPERFICIAL-REVIEW
      And the plan status is "needs review"

  Rule: A tendency to keloids rules out deep wounding and asks for care with the rest

    @rule:CI-KELOID-PEELS-ABLATIVE
    Scenario: A keloid former is not offered a medium-depth peel or ablative laser
      Given a client with no risk factors
      And the client's answers include:
        | question                         | answer |
        | Keloid or hypertrophic scarring  | yes    |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" is excluded because of CI-KELOID-PEELS-ABLATIVE
      And "Ablative fractional laser" is excluded because of CI-KELOID-PEELS-ABLATIVE

    @rule:CI-KELOID-REVIEW
    Scenario: A keloid former needs review before a superficial peel
      Given a client with no risk factors
      And the client's answers include:
        | question                         | answer |
        | Keloid or hypertrophic scarring  | yes    |
      When the protocol is applied
      Then the plan cautions about "Salicylic acid peel" because of CI-KELOID-REVIEW
      And the plan status is "needs review"

  Rule: Allergies and medicines rule out the agents they react with

    @rule:CI-SALICYLATE-ALLERGY
    Scenario: A client allergic to aspirin is offered another peel instead of salicylic acid
      Given a client with no risk factors
      And the client's answers include:
        | question                      | answer |
        | Salicylate or aspirin allergy | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-SALICYLATE-ALLERGY
      And the planned technique is "Glycolic acid peel"
      And the plan status is "ready"

    @rule:CI-PHOTOSENSITISING
    Scenario: A client on a photosensitising medicine is offered microdermabrasion, not peels or lasers
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer |
        | Photosensitising medication | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-PHOTOSENSITISING
      And "Nd:YAG 1064 nm laser" is excluded because of CI-PHOTOSENSITISING
      And the planned technique is "Crystal microdermabrasion"

    @rule:CI-ANTICOAGULANT-REVIEW
    Scenario: A client on blood thinners needs review before microdermabrasion or laser
      Given a client with no risk factors
      And the client's answers include:
        | question          | answer |
        | Anticoagulant use | yes    |
      When the protocol is applied
      Then the plan cautions about "Diamond-tip microdermabrasion" because of CI-ANTICOAGULANT-REVIEW
      And the plan cautions about "Nd:YAG 1064 nm laser" because of CI-ANTICOAGULANT-REVIEW
      And the planned technique is "Salicylic acid peel"
      And the plan status is "ready"

  Rule: Sun-exposed and inflamed skin is not treated

    @rule:CI-TAN-SUNBURN
    Scenario: A client with a recent tan is not treated until it has faded
      Given a client with no risk factors
      And the client's answers include:
        | question               | answer |
        | Recent tan or sunburn  | yes    |
      When the protocol is applied
      Then "Glycolic acid peel" is excluded because of CI-TAN-SUNBURN
      And "Nd:YAG 1064 nm laser" is excluded because of CI-TAN-SUNBURN
      And the plan status is "not suitable"

    @rule:CI-ECZEMA-DERMATITIS
    Scenario: A client with active dermatitis is offered a laser rather than a peel
      Given a client with no risk factors
      And the client's answers include:
        | question             | answer |
        | Eczema or dermatitis | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-ECZEMA-DERMATITIS
      And "Crystal microdermabrasion" is excluded because of CI-ECZEMA-DERMATITIS
      And the planned technique is "Nd:YAG 1064 nm laser"

    @rule:CI-ROSACEA-MDA
    Scenario: Rosacea needs review before microdermabrasion
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Rosacea  | yes    |
      When the protocol is applied
      Then the plan cautions about "Crystal microdermabrasion" because of CI-ROSACEA-MDA
      And the planned technique is "Salicylic acid peel"

    @rule:CI-ACNE-REVIEW
    Scenario: Active inflammatory acne needs review before microdermabrasion
      Given a client with no risk factors
      And the client's answers include:
        | question                  | answer |
        | Active inflammatory acne  | yes    |
      When the protocol is applied
      Then the plan cautions about "Diamond-tip microdermabrasion" because of CI-ACNE-REVIEW
      And the plan cautions about "Ablative fractional laser" because of CI-ACNE-REVIEW
      And the planned technique is "Salicylic acid peel"

  Rule: Immunity, pigment disorders and darker skin rule out ablative resurfacing

    @rule:CI-IMMUNOSUPPRESSED-ABLATIVE
    Scenario: An immunosuppressed client is not offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question          | answer |
        | Immunosuppressed  | yes    |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-IMMUNOSUPPRESSED-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-IMMUNOSUPPRESSED-ABLATIVE

    @rule:CI-MELASMA-ABLATIVE
    Scenario: A client with melasma is not offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Melasma  | yes    |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-MELASMA-ABLATIVE

    @rule:CI-VITILIGO-REVIEW
    Scenario: Vitiligo needs review before lasers
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Vitiligo | yes    |
      When the protocol is applied
      Then the plan cautions about "Non-ablative fractional laser" because of CI-VITILIGO-REVIEW
      And the plan cautions about "Crystal microdermabrasion" because of CI-VITILIGO-REVIEW

    @rule:CI-DARK-SKIN-ABLATIVE
    Scenario: Fitzpatrick type V skin is not offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 5      |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-DARK-SKIN-ABLATIVE

    @rule:CI-DARK-SKIN-ABLATIVE
    Scenario: Fitzpatrick type III skin may still be offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 3      |
      When the protocol is applied
      Then "Ablative fractional laser" is not excluded
