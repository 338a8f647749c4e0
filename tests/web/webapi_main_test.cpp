// The API test executable's module (route matrix, sessions, CSRF, live events).
#define BOOST_TEST_MODULE webapi
#include <boost/test/unit_test.hpp>
