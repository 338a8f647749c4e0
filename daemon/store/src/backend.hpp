#pragma once
// The engine-specific halves of Connection and Statement (internal to vigil::store).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "vigil/store/connection.hpp"

namespace vigil::store::detail {

class StatementImpl {
 public:
  virtual ~StatementImpl() = default;
  virtual void bindInt64(int index, std::int64_t value) = 0;
  virtual void bindDouble(int index, double value) = 0;
  virtual void bindText(int index, std::string_view text) = 0;
  virtual void bindBlob(int index, BlobView blob) = 0;
  virtual void bindNull(int index) = 0;
  virtual int parameterIndex(std::string_view name) const = 0;
  virtual bool step() = 0;
  virtual int run() = 0;
  virtual void reset() = 0;
  virtual int columnCount() const = 0;
  virtual bool isNull(int col) const = 0;
  virtual std::int64_t getInt64(int col) const = 0;
  virtual double getDouble(int col) const = 0;
  virtual std::string getText(int col) const = 0;
  virtual Blob getBlob(int col) const = 0;
};

class ConnectionImpl {
 public:
  virtual ~ConnectionImpl() = default;
  virtual Backend backend() const = 0;
  virtual std::unique_ptr<StatementImpl> prepare(std::string_view sql, bool reused) = 0;
  virtual void exec(std::string_view sql) = 0;
  virtual std::int64_t lastInsertRowid() = 0;
  virtual int changes() const = 0;
  virtual bool inTransaction() const = 0;
  virtual std::string_view beginSql(bool immediate) const = 0;
  virtual void resetBusyStatements() = 0;
  virtual sqlite3* sqliteHandle() const { return nullptr; }
  virtual bool broken() const { return false; }
  virtual void reconnect() {}
};

std::unique_ptr<ConnectionImpl> openSqlite(const std::filesystem::path& path, Connection::Mode mode,
                                           std::chrono::milliseconds busyTimeout);
std::unique_ptr<ConnectionImpl> openPostgres(const std::string& conninfo, Connection::Mode mode,
                                             std::chrono::milliseconds lockTimeout);

}  // namespace vigil::store::detail
