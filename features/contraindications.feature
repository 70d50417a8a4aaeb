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
        | question                    | answer                         |
        | Last oral isotretinoin dose | 3 months before the assessment |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Ablative fractional laser" may be reconsidered from 2027-02-25

    @rule:CI-ISOTRETINOIN-ABLATIVE
    Scenario: Isotretinoin seven months ago no longer rules out ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer                         |
        | Last oral isotretinoin dose | 7 months before the assessment |
      When the protocol is applied
      Then "Ablative fractional laser" is not excluded

    @rule:CI-ISOTRETINOIN-SUPERFICIAL-REVIEW
    Scenario: A superficial peel soon after isotretinoin is allowed after review
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer                         |
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
        | question                        | answer |
        | Keloid or hypertrophic scarring | yes    |
      When the protocol is applied
      Then "Medium-depth trichloroacetic acid peel" is excluded because of CI-KELOID-PEELS-ABLATIVE
      And "Ablative fractional laser" is excluded because of CI-KELOID-PEELS-ABLATIVE

    @rule:CI-KELOID-REVIEW
    Scenario: A keloid former needs review before a superficial peel
      Given a client with no risk factors
      And the client's answers include:
        | question                        | answer |
        | Keloid or hypertrophic scarring | yes    |
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
        | question              | answer |
        | Recent tan or sunburn | yes    |
      When the protocol is applied
      Then "Glycolic acid peel" is excluded because of CI-TAN-SUNBURN
      And "Nd:YAG 1064 nm laser" is excluded because of CI-TAN-SUNBURN
      And the plan status is "not suitable"

    @rule:CI-ECZEMA-DERMATITIS @rule:CI-DERMATITIS-LASER @rule:CI-DERMATITIS-NAFL-REVIEW
    Scenario: A client with active dermatitis is offered only a non-ablative fractional laser, after review
      Given a client with no risk factors
      And the client's answers include:
        | question             | answer |
        | Eczema or dermatitis | yes    |
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-ECZEMA-DERMATITIS
      And "Crystal microdermabrasion" is excluded because of CI-ECZEMA-DERMATITIS
      And "Nd:YAG 1064 nm laser" is excluded because of CI-DERMATITIS-LASER
      And "Ablative fractional laser" is excluded because of CI-DERMATITIS-LASER
      And the planned technique is "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-DERMATITIS-NAFL-REVIEW
      And the plan status is "needs review"

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
        | question                 | answer |
        | Active inflammatory acne | yes    |
      When the protocol is applied
      Then the plan cautions about "Diamond-tip microdermabrasion" because of CI-ACNE-REVIEW
      And the plan cautions about "Ablative fractional laser" because of CI-ACNE-REVIEW
      And the planned technique is "Salicylic acid peel"

  Rule: Immunity, pigment disorders and darker skin rule out ablative resurfacing

    @rule:CI-IMMUNOSUPPRESSED-ABLATIVE
    Scenario: An immunosuppressed client is not offered ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question         | answer |
        | Immunosuppressed | yes    |
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

    @rule:CI-VITILIGO-REVIEW @rule:CI-VITILIGO-MDA
    Scenario: Vitiligo needs review before lasers and rules out microdermabrasion
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Vitiligo | yes    |
      When the protocol is applied
      Then the plan cautions about "Non-ablative fractional laser" because of CI-VITILIGO-REVIEW
      And "Crystal microdermabrasion" is excluded because of CI-VITILIGO-MDA
      And "Hydradermabrasion" is excluded because of CI-VITILIGO-MDA

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

  Rule: A skin cancer in the area or unrealistic expectations rule out every technique

    @rule:CI-SKIN-CANCER
    Scenario: A suspicious lesion in the area is referred rather than treated
      Given a client with no risk factors
      And the client's answers include:
        | question                                     | answer |
        | Skin cancer or suspicious lesion in the area | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-SKIN-CANCER
      And "Non-ablative fractional laser" is excluded because of CI-SKIN-CANCER

    @rule:CI-EXPECTATIONS
    Scenario: A client who cannot follow the aftercare is not treated
      Given a client with no risk factors
      And the client's answers include:
        | question                                               | answer |
        | Unrealistic expectations or unable to follow aftercare | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Crystal microdermabrasion" is excluded because of CI-EXPECTATIONS

  Rule: Recent facial surgery defers every technique for six months

    @rule:CI-RECENT-FACIAL-SURGERY
    Scenario: Facial surgery two months ago defers treatment until six months after it
      Given a client with no risk factors
      And the client's answers include:
        | question            | answer                         |
        | Last facial surgery | 2 months before the assessment |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-RECENT-FACIAL-SURGERY
      And "Salicylic acid peel" may be reconsidered from 2027-03-25

    @rule:CI-RECENT-FACIAL-SURGERY
    Scenario: Facial surgery seven months ago no longer defers treatment
      Given a client with no risk factors
      And the client's answers include:
        | question            | answer                         |
        | Last facial surgery | 7 months before the assessment |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the plan status is "ready"

  Rule: Isotretinoin in the last year asks for review before a laser

    @rule:CI-ISOTRETINOIN-LASER-YEAR
    Scenario: Isotretinoin nine months ago asks for review before a fractional laser
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer                         |
        | Last oral isotretinoin dose | 9 months before the assessment |
        | Pore causes                 | elasticity loss                |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-ISOTRETINOIN-LASER-YEAR
      And "Ablative fractional laser" is not excluded
      And the plan status is "needs review"

  Rule: Sun in the last two months asks for review before a laser

    @rule:CI-SUN-EXPOSURE-LASER
    Scenario: A sunny holiday without sunscreen last month asks for review before a laser
      Given a client with no risk factors
      And the client's answers include:
        | question                               | answer          |
        | Unprotected sun in the last two months | yes             |
        | Pore causes                            | elasticity loss |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-SUN-EXPOSURE-LASER
      And the plan status is "needs review"

  Rule: Rosacea asks for review before a superficial peel and rules out a medium peel

    @rule:CI-ROSACEA-PEELS-REVIEW @rule:CI-ROSACEA-MEDIUM-PEEL
    Scenario: A client with rosacea needs review before a salicylic peel and is not offered a medium-depth peel
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Rosacea  | yes    |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-ROSACEA-PEELS-REVIEW
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-ROSACEA-MEDIUM-PEEL
      And the plan status is "needs review"

  Rule: Conditions that slow healing ask for review or rule out deep wounding

    @rule:CI-IMMUNOSUPPRESSED-REVIEW
    Scenario: An immunosuppressed client needs review before microdermabrasion or a non-ablative laser
      Given a client with no risk factors
      And the client's answers include:
        | question         | answer |
        | Immunosuppressed | yes    |
      When the protocol is applied
      Then the plan cautions about "Crystal microdermabrasion" because of CI-IMMUNOSUPPRESSED-REVIEW
      And the plan cautions about "Nd:YAG 1064 nm laser" because of CI-IMMUNOSUPPRESSED-REVIEW
      And the planned technique is "Salicylic acid peel"
      And the plan status is "ready"

    @rule:CI-DIABETES-RESURFACING
    Scenario: Well-controlled diabetes asks for review before ablative resurfacing
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
        | Diabetes           | controlled                  |
      When the protocol is applied
      Then the planned technique is "Ablative fractional laser"
      And the plan cautions about "Ablative fractional laser" because of CI-DIABETES-RESURFACING
      And the plan status is "needs review"

    @rule:CI-DIABETES-UNCONTROLLED
    Scenario: Uncontrolled diabetes asks for review before any technique
      Given a client with no risk factors
      And the client's answers include:
        | question | answer       |
        | Diabetes | uncontrolled |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-DIABETES-UNCONTROLLED
      And the plan cautions about "Crystal microdermabrasion" because of CI-DIABETES-UNCONTROLLED
      And the plan status is "needs review"

    @rule:CI-RADIOTHERAPY-DEEP @rule:CI-RADIOTHERAPY-REVIEW
    Scenario: Radiotherapy to the face rules out deep wounding and asks for review of a superficial peel
      Given a client with no risk factors
      And the client's answers include:
        | question            | answer |
        | Facial radiotherapy | yes    |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-RADIOTHERAPY-DEEP
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-RADIOTHERAPY-DEEP
      And the plan cautions about "Salicylic acid peel" because of CI-RADIOTHERAPY-REVIEW
      And the plan status is "needs review"

    @rule:CI-SEIZURES-LASER
    Scenario: Light-triggered seizures ask for review before a laser but not before a peel
      Given a client with no risk factors
      And the client's answers include:
        | question                             | answer |
        | Epilepsy or light-triggered seizures | yes    |
      When the protocol is applied
      Then the plan cautions about "Nd:YAG 1064 nm laser" because of CI-SEIZURES-LASER
      And the planned technique is "Salicylic acid peel"
      And the plan status is "ready"

  Rule: Melasma and darker skin ask for review before deeper or heat-based techniques

    @rule:CI-MELASMA-REVIEW @rule:CI-MELASMA-MDA-REVIEW
    Scenario: Melasma asks for review before a fractional laser and microdermabrasion
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Melasma     | yes             |
        | Pore causes | elasticity loss |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-MELASMA-REVIEW
      And the plan cautions about "Medium-depth trichloroacetic acid peel" because of CI-MELASMA-REVIEW
      And the plan cautions about "Diamond-tip microdermabrasion" because of CI-MELASMA-MDA-REVIEW
      And the plan status is "needs review"

    @rule:CI-DARK-SKIN-MEDIUM-PEEL
    Scenario: Fitzpatrick type V skin needs review before a medium-depth peel
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 5      |
      When the protocol is applied
      Then the plan cautions about "Medium-depth trichloroacetic acid peel" because of CI-DARK-SKIN-MEDIUM-PEEL
      And the planned technique is "Salicylic acid peel"

