#pragma once
// Public 835 examples, written out here by hand. Their content is the example data of the ASC X12
// 835 005010X221A1 implementation guide (TR3) as transcribed in the public test resources of the
// LinuxForHealth/x12 project (src/tests/resources/835_005010X221A1/: managed-care.835,
// medicare-part-a.835, cob-contractural-adjustment.835; Apache-2.0). The people and companies
// are the guide's fictional examples. Changes made here: one segment per line; the COB
// example's ISA16 is '>' because its SVC uses '>' as the component separator (the transcription
// declared ':'), and its BPR date is in BPR16 as the guide defines it (the transcription had one
// empty element fewer, putting it in BPR15). Expected values in the tests are read off these texts
// by hand.
#include <string>

namespace vigil::x12test {

// TR3 example "managed care": two claims, claim- and line-level CAS, no PLB. BPR 945 = 450 + 495.
inline const std::string kManagedCare835 =
    "ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          "
    "*131031*1147*^*00501*000000907*1*T*:~\n"
    "GS*HP*000000005*54321*20131031*1147*1*X*005010X221A1~\n"
    "ST*835*112233~\n"
    "BPR*I*945.00*C*ACH*CCP*01*888999777*DA*24681012*1935665544**01*111333555*DA*144444*20002316~\n"
    "TRN*1*7170066655*1935665544~\n"
    "DTM*405*20020314~\n"
    "N1*PR*RUSHMORE LIFE~\n"
    "N3*10 SOUTH AVENUE~\n"
    "N4*RAPID CITY*SD*55111~\n"
    "N1*PE*ACME MEDICAL CENTER*XX*5544667733~\n"
    "REF*TJ*777667755~\n"
    "LX*1~\n"
    "CLP*5554555444*1*800.00*450.00*300.00*12*94060555410000~\n"
    "CAS*CO*A2*50.00~\n"
    "NM1*QC*1*BUDD*WILLIAM****MI*33344555510~\n"
    "SVC*HC:99211*800.00*500.00~\n"
    "DTM*150*20020301~\n"
    "DTM*151*20020304~\n"
    "CAS*PR*1*300.00~\n"
    "CLP*8765432112*1*1200.00*495.00*600.00*12*94077799230000~\n"
    "CAS*CO*A2*55.00~\n"
    "NM1*QC*1*SETTLE*SUSAN****MI*44455666610~\n"
    "SVC*HC:93555*1200.00*550.00~\n"
    "DTM*150*20020310~\n"
    "DTM*151*20020312~\n"
    "CAS*PR*1*600.00~\n"
    "CAS*CO*45*50.00~\n"
    "SE*26*112233~\n"
    "GE*1*1~\n"
    "IEA*1*000000907~\n";

// TR3 example "Medicare Part A": two institutional claims without service lines and a PLB of
// -1.27 (CV:CP). BPR 150000.00 = 138018.40 + 11980.33 - (-1.27).
inline const std::string kMedicarePartA835 =
    "ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          "
    "*131031*1147*^*00501*000000907*1*T*:~\n"
    "GS*HP*000000005*54321*20131031*1147*1*X*005010X221A1~\n"
    "ST*835*1234~\n"
    "BPR*C*150000.00*C*ACH*CTX*01*99999992*DA*123456*1512345678**01*999988880*DA*98765*20020913~\n"
    "TRN*1*12345*1512345678~\n"
    "DTM*405*20020916~\n"
    "N1*PR*INSURANCE COMPANY OF TIMBUCKTU~\n"
    "N3*1 MAIN STREET~\n"
    "N4*TIMBUCKTU*AK*89111~\n"
    "REF*2U*999~\n"
    "N1*PE*REGIONAL HOPE HOSPITAL*XX*6543210903~\n"
    "LX*110212~\n"
    "TS3*6543210903*11*20021231*1*211366.97****138018.40**73348.57~\n"
    "TS2*2178.45*1919.71**56.82*197.69*4.23~\n"
    "CLP*666123*1*211366.97*138018.40**MA*1999999444444*11*1~\n"
    "CAS*CO*45*73348.57~\n"
    "NM1*QC*1*JONES*SAM*O***HN*666666666A~\n"
    "MIA*0***138018.40~\n"
    "DTM*232*20020816~\n"
    "DTM*233*20020824~\n"
    "QTY*CA*8.00~\n"
    "LX*130212~\n"
    "TS3*6543210909*13*19961231*1*15000.00****11980.33**3019.67~\n"
    "CLP*777777*1*15000.00*11980.33**MB*1999999444445*13*1~\n"
    "CAS*CO*45*3019.67~\n"
    "NM1*QC*1*BORDER*LIZ*E***HN*996669999B~\n"
    "MOA***MA02~\n"
    "DTM*232*20020512~\n"
    "PLB*6543210903*20021231*CV:CP*-1.27~\n"
    "SE*28*1234~\n"
    "GE*1*1~\n"
    "IEA*1*000000907~\n";

// TR3 example of a secondary payment with contractual adjustments (OA-23 prior payer, OA-94
// negative), one service line, component separator '>'. BPR 34.00 = 34.00.
inline const std::string kCobContractual835 =
    "ISA*03*9876543210*01*9876543210*30*000000005      *30*12345          "
    "*131031*1147*^*00501*000000907*1*T*>~\n"
    "GS*HP*000000005*54321*20131031*1147*1*X*005010X221A1~\n"
    "ST*835*0001~\n"
    "BPR*I*34.00*C*CHK************20050318~\n"
    "TRN*1*0063158ABC*1566339911~\n"
    "REF*EV*030240928~\n"
    "DTM*405*20050318~\n"
    "N1*PR*YOUR TAX DOLLARS AT WORK~\n"
    "N3*481A00 DEAR RUN ROAD~\n"
    "N4*WEST PALM BCH*FL*11114~\n"
    "N1*PE*ATONEWITHHEALTH*FI*3UR334563~\n"
    "N3*3501 JOHNSON STREET~\n"
    "N4*SUNSHINE*FL*12345~\n"
    "REF*PQ*11861~\n"
    "LX*1~\n"
    "CLP*0001000055*2*541.00*34.00**12*50650619501~\n"
    "NM1*QC*1*BURCK*RAYMOND*W***MI*987654321~\n"
    "NM1*82*2*PROFESSIONAL TEST 1*****BS*34426~\n"
    "DTM*232*20050202~\n"
    "DTM*233*20050202~\n"
    "SVC*HC>55669*541.00*34.00**1.00~\n"
    "DTM*472*20050202~\n"
    "CAS*OA*23*516.00~\n"
    "CAS*OA*94*-9.00~\n"
    "REF*1B*44280~\n"
    "AMT*B6*550.00~\n"
    "SE*25*0001~\n"
    "GE*1*1~\n"
    "IEA*1*000000907~\n";

/// `text` with the first occurrence of `from` replaced by `to` (the test's own faults).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace vigil::x12test
