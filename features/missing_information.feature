Feature: Missing information
  An unanswered question means "unknown", never "no". A technique whose safety depends
  on an unanswered question is not offered; the plan lists the questions to ask and the
  rules that need each answer.

  Rule: Nothing is offered to a client about whom nothing is known

    @rule:CI-ACTIVE-INFECTION @rule:CI-PREGNANCY-DEFER
    Scenario: A client who has only given the assessment date is asked the screening questions
      Given a client who has only given the assessment date
      When the protocol is applied
      Then the plan status is "needs information"
      And no technique is planned
      And the plan asks for "Active infection in the area" because of CI-ACTIVE-INFECTION
      And the plan asks for "Pregnant" because of CI-PREGNANCY-DEFER
      And the plan includes the step "Consultation and consent" because of REQ-CONSULTATION

  Rule: An unanswered safety question holds back the techniques it concerns

    @rule:CI-SALICYLATE-ALLERGY @rule:REQ-PATCH-TEST-SALICYLATE-ALLERGY
    Scenario: An unanswered allergy question holds back the peels it concerns but not the other techniques
      Given a client with no risk factors
      And the client has not answered "Salicylate or aspirin allergy"
      When the protocol is applied
      Then the plan status is "needs information"
      And "Salicylic acid peel" is waiting for "Salicylate or aspirin allergy" because of CI-SALICYLATE-ALLERGY
      And "Glycolic acid peel" is waiting for "Salicylate or aspirin allergy" because of REQ-PATCH-TEST-SALICYLATE-ALLERGY
      And the planned technique is "Crystal microdermabrasion"

    @rule:CI-PREGNANCY-DEFER @rule:CI-PREGNANCY-AHA-REVIEW
    Scenario: An unanswered pregnancy question holds back every peel, laser and microdermabrasion
      Given a client with no risk factors
      And the client has not answered "Pregnant"
      When the protocol is applied
      Then the plan status is "needs information"
      And "Salicylic acid peel" is waiting for "Pregnant" because of CI-PREGNANCY-DEFER
      And "Glycolic acid peel" is waiting for "Pregnant" because of CI-PREGNANCY-AHA-REVIEW
      And no technique is planned

    @rule:DER-PIH-HIGH @rule:REQ-PRIMING-PIH
    Scenario: An unknown Fitzpatrick type leaves the pigmentation risk unknown and holds back treatment
      Given a client with no risk factors
      And the client has not answered "Fitzpatrick skin type"
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan asks for "Fitzpatrick skin type" because of REQ-PRIMING-PIH
      And the plan asks for "Fitzpatrick skin type" because of DER-PIH-HIGH
      And no technique is planned

  Rule: An answer that cannot change the outcome is not asked for

    @rule:CI-PREGNANCY-DEFER
    Scenario: A breastfeeding client is not asked whether she is pregnant
      Given a client with no risk factors
      And the client's answers include:
        | question      | answer |
        | Breastfeeding | yes    |
      And the client has not answered "Pregnant"
      When the protocol is applied
      Then "Salicylic acid peel" is excluded because of CI-PREGNANCY-DEFER
      And the plan does not ask for "Pregnant"

    @rule:CI-ISOTRETINOIN-ABLATIVE
    Scenario: "Never" is an answer: a client who never took isotretinoin is not asked again
      Given a client with no risk factors
      When the protocol is applied
      Then the plan does not ask for "Last oral isotretinoin dose"
      And "Ablative fractional laser" is not excluded

    @rule:CI-ACTIVE-INFECTION
    Scenario: Nothing more is asked when every technique is ruled out anyway
      Given a client with no risk factors
      And the client's answers include:
        | question                     | answer |
        | Active infection in the area | yes    |
      And the client has not answered "Skin type"
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan does not ask for "Skin type"

  Rule: The screening questions added for healing and timing hold back treatment until answered

    @rule:CI-DIABETES-UNCONTROLLED @rule:CI-DIABETES-RESURFACING
    Scenario: An unanswered diabetes question holds back every technique
      Given a client with no risk factors
      And the client has not answered "Diabetes"
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan asks for "Diabetes" because of CI-DIABETES-UNCONTROLLED
      And "Ablative fractional laser" is waiting for "Diabetes" because of CI-DIABETES-RESURFACING
      And no technique is planned

    @rule:SEQ-GAP-AFTER-TOXIN
    Scenario: An unanswered question about botulinum toxin holds back the start of treatment
      Given a client with no risk factors
      And the client has not answered "Last botulinum toxin injection"
      When the protocol is applied
      Then the plan status is "needs information"
      And "Salicylic acid peel" is waiting for "Last botulinum toxin injection" because of SEQ-GAP-AFTER-TOXIN
      And no technique is planned

